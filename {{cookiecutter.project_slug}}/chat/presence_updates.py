"""Presence updates to a room: at most one per ``CHAT_PRESENCE_INTERVAL`` per process.

Each join or leave used to send the whole member list to every member: 80
bots joining a room cost each member 80 lists of up to 80 names (grows as
n²). Now the first change in a quiet room is sent at once; changes during
the next ``CHAT_PRESENCE_INTERVAL`` seconds (1.0) are folded into one update,
sent when the interval ends, with the member list of that moment and the
last change's ``event`` and ``nickname`` (the page's "x joined" notices of a
burst collapse into the last one; the member list is always right). ``0``
sends every change at once.
"""

import threading
import time

import realtime
from chat import conf

_lock = threading.Lock()
_rooms = {}  # channel -> _State


class _State:
    __slots__ = ("last", "timer", "pending")

    def __init__(self):
        self.last = float("-inf")
        self.timer = None
        self.pending = None


def changed(room, event, nickname):
    """``room`` (a ``Room``) gained or lost ``nickname``: tell its members, now or at the interval's end."""
    interval = conf.presence_interval()
    if interval <= 0:
        _send(room, event, nickname)
        return
    with _lock:
        state = _rooms.setdefault(room.channel, _State())
        state.pending = (room, event, nickname)
        if state.timer is not None:
            return  # folded into the update already scheduled
        wait = state.last + interval - time.monotonic()
        if wait > 0:
            state.timer = threading.Timer(wait, _flush, [room.channel])
            state.timer.daemon = True
            state.timer.start()
            return
        state.pending, state.last = None, time.monotonic()
    _send(room, event, nickname)


def _flush(channel):
    with _lock:
        state = _rooms.get(channel)
        if state is None:
            return
        pending, state.pending, state.timer = state.pending, None, None
        state.last = time.monotonic()
    if pending is not None:
        _send(*pending)


def _send(room, event, nickname):
    from chat.services import members  # services imports this module

    realtime.emit(
        "chat:presence", {"event": event, "nickname": nickname, "members": members(room)}, room=room.channel
    )
