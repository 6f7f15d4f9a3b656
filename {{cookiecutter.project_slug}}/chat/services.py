"""The chat's rules, in one place: receivers, views, the admin and the
``chat_announce`` command all go through these functions.

Errors are :class:`ChatError` with a stable ``code`` the page (and any
other client) can act on; the message is for people.
"""

import logging
import re
import threading
import time
from collections import defaultdict, deque

from django.db import connection
from django.db.models import Q

import realtime
from chat import conf, limits, nicknames, presence_updates
from realtime.bus import get_bus
from chat.models import Message, Room

logger = logging.getLogger("realtime.chat")

#: Nicknames: letters (any script), digits, space, dot, dash, underscore.
NICKNAME_RE = re.compile(r"^[^\W_](?:[\w .-]{0,22}[^\W_])?$")

# Checking that a nickname is free and joining must not interleave within a
# process (two tabs racing for "alice" in one room). Across processes the check
# reads presence through the bus; two processes can still race in the same
# millisecond, which a chat can live with. One lock per room: joins to other
# rooms do not queue behind this one (rooms are rows, so the dict stays small).
_enter_locks = defaultdict(threading.Lock)


def _release_database_connection():
    """Give a pooled database connection back before waiting on a lock.

    Under ``rungevent`` hundreds of joins can wait for a room's lock at once;
    each one holding a connection from the pool (``DATABASE_POOL_MAX_SIZE``,
    8) while it waits starves every other event of the process, which then
    fails with "couldn't get a connection" (seen in the soak at 1,000 clients).
    The next query borrows one again. Without a pool nothing is done: closing
    would cost a reconnect.
    """
    if connection.connection is not None and connection.settings_dict.get("OPTIONS", {}).get("pool"):
        if not connection.in_atomic_block:
            connection.close()


class ChatError(Exception):
    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def as_dict(self):
        return {"error": self.code, "message": self.message, **self.extra}


# -- messages ----------------------------------------------------------------
def clean_text(text):
    """The text of a message, stripped; raises ChatError if empty or too long."""
    if not isinstance(text, str):
        raise ChatError("bad_message", "A message is a string of text.")
    text = text.strip()
    if not text:
        raise ChatError("empty", "Say something first.")
    limit = conf.max_message_length()
    if len(text) > limit:
        raise ChatError(
            "too_long", f"Messages are limited to {limit} characters (this one has {len(text)}).", limit=limit
        )
    return text


def post_message(room, text, nickname="", user=None, kind=Message.USER):
    """Store a message and send it to everyone in the room, in every process."""
    text = clean_text(text)
    message = Message.objects.create(room=room, text=text, nickname=nickname, user=user, kind=kind)
    realtime.emit("chat:message", message.as_dict(), room=room.channel)
    return message


def announce(room, text):
    """A system announcement (admin action, ``chat_announce`` command)."""
    return post_message(room, text, kind=Message.SYSTEM)


#: Most ids a rejoining client may list in ``have``.
MAX_HAVE = 200


def clean_have(have):
    """``have``: ids of the messages a rejoining client holds (its recent ones), or None."""
    if have is None:
        return None
    if (
        not isinstance(have, list)
        or len(have) > MAX_HAVE
        or any(isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in have)
    ):
        raise ChatError("bad_have", f"'have' is a list of at most {MAX_HAVE} message ids.")
    return have


def history(room, after=None, have=None):
    """What a joining client needs: ``(messages, skipped)``.

    ``after`` is the id of the last message the client saw (it is
    reconnecting): it gets every later message, oldest first, at most
    ``CHAT_MAX_MISSED`` of them (``skipped`` counts the older ones left out).
    Without ``after`` it gets the last ``CHAT_HISTORY`` messages.

    ``have`` (optional) lists the ids the client holds from its recent past.
    Messages from several processes can reach a client out of id order (each
    process delivers its own first), so a client that drops right after
    receiving N+1 may never have received N: whatever the room has between
    the oldest id in ``have`` and ``after`` that the client lacks is replayed
    too. Without ``have``, only what follows ``after``.
    """
    messages = room.messages.select_related("room")
    if after is None:
        latest = list(messages.order_by("-id")[: conf.history_size()])
        return [m.as_dict() for m in reversed(latest)], 0
    missed = messages.filter(id__gt=after)
    if have:
        gaps = messages.filter(id__gt=min(have), id__lt=after).exclude(id__in=have)
        missed = messages.filter(Q(id__gt=after) | Q(id__in=gaps.values("id")))
    limit = conf.max_missed()
    latest = list(missed.order_by("-id")[:limit])
    skipped = missed.count() - len(latest) if len(latest) == limit else 0
    return [m.as_dict() for m in reversed(latest)], skipped


# -- people ------------------------------------------------------------------
def clean_nickname(nickname):
    if not isinstance(nickname, str):
        raise ChatError("bad_nickname", "Choose a nickname.")
    nickname = " ".join(nickname.split())
    if not NICKNAME_RE.match(nickname):
        raise ChatError("bad_nickname", "Nicknames are 1 to 24 letters, digits, spaces, dots, dashes or underscores.")
    return nickname


def members(room):
    """Who is in the room now (every process): ``[{"nickname", "transport"}]``.

    Readers (sockets watching the room before choosing a nickname) are not members.
    """
    seen = {}
    for member in realtime.presence(room.channel):
        nickname = member.get("nickname")
        if nickname and nickname.lower() not in seen:
            seen[nickname.lower()] = {"nickname": nickname, "transport": member.get("transport")}
    return sorted(seen.values(), key=lambda m: m["nickname"].lower())


def open_room(socket, room_name):
    """The room ``socket`` may read: it exists, and a private one needs a logged-in user."""
    room = Room.objects.filter(name=room_name).first() if isinstance(room_name, str) else None
    if room is None:
        raise ChatError("no_room", "There is no such room.")
    user = socket.user
    if room.private and not (user is not None and user.is_authenticated):
        raise ChatError("login_required", "This room is private: log in to enter.")
    return room


def clean_after(after):
    if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
        raise ChatError("bad_after", "'after' is the id of the last message seen.")
    return after


def _only_in(socket, room):
    """One chat room per connection: leave any other."""
    for channel in socket.rooms:
        if channel.startswith("chat:") and channel != room.channel:
            socket.leave(channel)


def watch(socket, room_name, after=None, have=None):
    """Read ``room`` without a nickname: its history and members now, its messages live.

    The socket joins the room's channel as a reader: it receives what the room
    says, is not a member (no nickname, not in "Here now") and cannot write
    until :func:`enter` gives it a nickname.
    """
    room = open_room(socket, room_name)
    after, have = clean_after(after), clean_have(have)
    _only_in(socket, room)
    socket.join(room.channel)
    messages, skipped = history(room, after, have)
    return {
        "ok": True,
        "room": room.name,
        "members": members(room),
        "messages": messages,
        "skipped": skipped,
        "max_length": conf.max_message_length(),
    }


def enter(socket, room_name, nickname=None, after=None, have=None, previous=None):
    """Put ``socket`` in the room; returns what the client shows.

    Enforced here, on the server: the room exists; a private room needs a
    logged-in user; a logged-in user chats under their username; a nickname
    is valid and not held by someone else in the room right now.

    ``previous`` is the sid of the client's last connection, when it is
    coming back: if that connection's process died, its presence entry
    outlives it (until ``REALTIME_PRESENCE_TTL``) and must not keep the
    client from its own nickname. Sids are never shown to other clients.
    """
    room = open_room(socket, room_name)
    user = socket.user
    logged_in = bool(user is not None and user.is_authenticated)
    nickname = clean_nickname(user.get_username()[:24] if logged_in else nickname)
    if not logged_in:
        why = nicknames.refusal(nickname)
        if why is not None:
            owner = "a registered user" if why == "registered" else "the site"
            raise ChatError(
                "nickname_taken",
                f"{nickname!r} (or a name that looks like it) belongs to {owner}: pick another nickname, or log in.",
                reason=why,
            )
    after, have = clean_after(after), clean_have(have)
    if previous is not None and (not isinstance(previous, str) or not 0 < len(previous) <= 100):
        raise ChatError("bad_previous", "'previous' is the id of your last connection.")
    _release_database_connection()
    with _enter_locks[room.channel]:
        wanted = nicknames.skeleton(nickname)
        for member in realtime.presence(room.channel):
            if member["sid"] in (socket.sid, previous):
                continue
            same_user = logged_in and member.get("user_id") == user.pk
            # A logged-in user is never kept out of their own name by an anonymous holder.
            yields = logged_in and member.get("user_id") is None
            taken = nicknames.skeleton(member.get("nickname") or "") == wanted
            if taken and not same_user and not yields:
                raise ChatError(
                    "nickname_taken", f"Someone called {nickname!r} is already here; pick another nickname."
                )
        _only_in(socket, room)
        reading = room.channel in socket.rooms  # it watched the room before choosing a nickname
        socket.nickname = nickname
        socket.join(room.channel)
        if reading:
            get_bus().update_member(socket)  # presence learns the nickname
    messages, skipped = history(room, after, have)
    present = members(room)
    presence_updates.changed(room, "joined", nickname)
    return {
        "ok": True,
        "room": room.name,
        "nickname": nickname,
        "members": present,
        "messages": messages,
        "skipped": skipped,
        "max_length": conf.max_message_length(),
    }


class RateLimiter:
    """At most ``count`` messages per ``seconds`` (sliding window), per connection."""

    def __init__(self, count, seconds):
        self.count, self.seconds = count, seconds
        self._times = deque()
        self._lock = threading.Lock()

    def allow(self):
        """Record one message; returns 0 if allowed, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            while self._times and now - self._times[0] >= self.seconds:
                self._times.popleft()
            if len(self._times) >= self.count:
                return round(self.seconds - (now - self._times[0]), 1) or 0.1
            self._times.append(now)
            return 0


def limiter_for(socket):
    limiter = getattr(socket, "chat_limiter", None)
    if limiter is None:
        limiter = socket.chat_limiter = RateLimiter(*conf.rate_limit())
    return limiter


def say(socket, room_name, text):
    """A message typed by the client on ``socket``; returns the stored message."""
    room = Room.objects.filter(name=room_name).first() if isinstance(room_name, str) else None
    if room is None or room.channel not in socket.rooms or not getattr(socket, "nickname", None):
        raise ChatError("not_joined", "Join the room with a nickname before writing in it.")
    text = clean_text(text)  # refused text does not count against the rate limit
    wait = limiter_for(socket).allow()
    if not wait and (wait := limits.user_message_wait(socket)):  # all the user's connections together
        count, seconds = limits.user_rate_limit()
        raise ChatError("rate_limited", f"Slow down: at most {count} messages every {seconds:g} seconds from all "
                        "your tabs together.", retry_after=wait)
    if wait:
        count, seconds = conf.rate_limit()
        raise ChatError(
            "rate_limited", f"Slow down: at most {count} messages every {seconds:g} seconds.", retry_after=wait
        )
    user = socket.user if socket.user is not None and socket.user.is_authenticated else None
    return post_message(room, text, nickname=socket.nickname, user=user)
