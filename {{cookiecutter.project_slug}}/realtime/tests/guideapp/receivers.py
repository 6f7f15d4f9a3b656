"""shout: join the room under a name, then everything you shout reaches everyone in it."""

from django.dispatch import receiver

import realtime
from realtime.signals import socket_client_event_by_type, socket_left_room

ROOM = "shout"


@receiver(socket_client_event_by_type["shout:join"])
def join(sender, request, event, **kwargs):
    """``emit("shout:join", {"name": "ann"}, callback)``: the ack lists who is here."""
    name = event.data.get("name") if isinstance(event.data, dict) else None
    if not isinstance(name, str) or not name.strip():
        # A refusal: the client's callback gets err (err.code "bad_name") and no ack.
        return {"error": "bad_name", "message": "Send your name: {name: 'ann'}."}
    name = name.strip()[:24]
    if any(m["nickname"] == name for m in realtime.presence(ROOM)):
        return {"error": "name_taken", "message": f"{name!r} is already here: pick another name."}
    sender.nickname = name  # presence lists it
    sender.join(ROOM)
    sender.broadcast_emit("shout:joined", name, room=ROOM)  # everyone in the room but the sender
    return {"here": sorted(m["nickname"] for m in realtime.presence(ROOM))}  # the ack


@receiver(socket_client_event_by_type["shout"])
def shout(sender, request, event, **kwargs):
    """``emit("shout", "hello", callback)``: everyone in the room gets ``shout``, the sender too."""
    if ROOM not in sender.rooms:
        return {"error": "not_joined", "message": "Join first: emit shout:join."}
    if not isinstance(event.data, str) or not event.data.strip():
        return {"error": "empty", "message": "Shout some text."}
    realtime.emit("shout", {"from": sender.nickname, "text": event.data.upper()}, room=ROOM)
    return "ok"


@receiver(socket_left_room)
def left(sender, request, room, **kwargs):
    """Leaving the room, or disconnecting: tell the others."""
    if room == ROOM:
        realtime.emit("shout:left", sender.nickname, room=ROOM)


def announce(text):
    """Shout from the server: a view, ``manage.py shell``, a command or a worker process."""
    realtime.emit("shout", {"from": "server", "text": text.upper()}, room=ROOM)
