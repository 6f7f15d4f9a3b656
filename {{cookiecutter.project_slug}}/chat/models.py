"""Rooms and their messages.

Message ids are the order of a room: a client that reconnects says "the
last id I saw is N" and gets every message of the room with a larger id, in
id order, so nothing is lost or shown twice across a reconnect.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

#: Room names appear in URLs and socket room names: keep them boring.
ROOM_NAME_RE = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
validate_room_name = RegexValidator(
    ROOM_NAME_RE,
    "Use 1 to 40 lowercase letters, digits and dashes (not at the start or end).",
    code="invalid_room_name",
)


class Room(models.Model):
    name = models.CharField(max_length=40, unique=True, validators=[validate_room_name])
    private = models.BooleanField(default=False, help_text="Only logged-in users may enter (checked on the server).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def channel(self):
        """The realtime room this chat room's sockets join."""
        return f"chat:{self.name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("chat:room", args=[self.name])


class Message(models.Model):
    USER = "user"
    SYSTEM = "system"
    KINDS = [(USER, "user"), (SYSTEM, "system announcement")]

    room = models.ForeignKey(Room, related_name="messages", on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=KINDS, default=USER)
    nickname = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "id"])]

    def __str__(self):
        return f"{self.nickname or self.kind}: {self.text[:40]}"

    def as_dict(self):
        """What clients receive (JSON-safe; the text is plain text, never HTML)."""
        return {
            "id": self.id,
            "room": self.room.name,
            "kind": self.kind,
            "nickname": self.nickname,
            "text": self.text,
            "at": self.created_at.isoformat(),
            # Sent by a logged-in user (the page shows a badge): a look-alike nickname is not.
            "verified": self.kind == self.USER and self.user_id is not None,
        }
