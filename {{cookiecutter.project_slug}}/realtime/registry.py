"""``connected_sockets``: the sockets of *this process*, and their rooms.

Each socket process keeps its own registry; the bus carries what must reach
sockets of other processes, and presence (``realtime.presence``) answers
across processes. A socket is added once its connection was accepted and
removed exactly once, whatever order the transport reports things in.
"""

import threading
from collections import defaultdict


class SocketRegistry:
    """A read-only sequence of live sockets, plus an index by room.

    Iterating gives a snapshot, so receivers may connect or disconnect
    sockets while looping.
    """

    def __init__(self):
        self._lock = threading.RLock()
        self._by_sid = {}
        self._rooms = defaultdict(set)  # (endpoint, room) -> {sid}

    # -- django-realtime's sequence API ------------------------------------
    def __iter__(self):
        with self._lock:
            return iter(list(self._by_sid.values()))

    def __len__(self):
        return len(self._by_sid)

    def __contains__(self, socket):
        return getattr(socket, "sid", socket) in self._by_sid

    def __bool__(self):
        return bool(self._by_sid)

    def get(self, sid):
        """The socket with this ``sid`` in this process, or ``None``."""
        return self._by_sid.get(sid)

    def in_room(self, room, endpoint="/"):
        """This process's sockets in ``room`` on ``endpoint``."""
        with self._lock:
            sids = list(self._rooms.get((endpoint, room), ()))
        return [s for s in map(self._by_sid.get, sids) if s is not None]

    def rooms(self, endpoint="/"):
        """Room names with at least one socket of this process."""
        with self._lock:
            return sorted(r for (e, r), sids in self._rooms.items() if e == endpoint and sids)

    def select(self, endpoint, room=None, to=None, skip=None):
        """The local sockets an envelope addresses, in connection order."""
        with self._lock:
            if to is not None:
                sock = self._by_sid.get(to)
                found = [sock] if sock is not None and sock.endpoint == endpoint else []
            elif room is not None:
                found = [self._by_sid[s] for s in self._rooms.get((endpoint, room), ()) if s in self._by_sid]
            else:
                found = [s for s in self._by_sid.values() if s.endpoint == endpoint]
        if skip is not None:
            found = [s for s in found if s.sid != skip]
        return found

    # -- used by the dispatcher and Socket, not by apps ---------------------
    def _add(self, socket):
        with self._lock:
            if socket.sid in self._by_sid:
                return False
            self._by_sid[socket.sid] = socket
            return True

    def _remove(self, socket):
        """Remove ``socket``; True only the first time (never raises)."""
        with self._lock:
            if self._by_sid.get(socket.sid) is not socket:
                return False
            del self._by_sid[socket.sid]
            for room in socket.rooms:
                self._discard(socket, room)
            return True

    def _join(self, socket, room):
        with self._lock:
            self._rooms[(socket.endpoint, room)].add(socket.sid)

    def _leave(self, socket, room):
        with self._lock:
            self._discard(socket, room)

    def _discard(self, socket, room):
        key = (socket.endpoint, room)
        sids = self._rooms.get(key)
        if sids is not None:
            sids.discard(socket.sid)
            if not sids:
                del self._rooms[key]


#: This process's live sockets (both transports).
connected_sockets = SocketRegistry()
