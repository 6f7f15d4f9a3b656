"""``connected_sockets``: the sockets of *this process*, and their rooms.

Each socket process keeps its own registry; the bus carries what must reach
sockets of other processes, and presence (``realtime.presence``) answers
across processes. A socket is added once its connection was accepted and
removed exactly once, whatever order the transport reports things in.
"""

import threading
from collections import Counter, defaultdict


class SocketRegistry:
    """A read-only sequence of live sockets, plus an index by room.

    Iterating gives a snapshot, so receivers may connect or disconnect
    sockets while looping.
    """

    def __init__(self):
        self._lock = threading.RLock()
        self._by_sid = {}
        self._rooms = defaultdict(set)  # (endpoint, room) -> {sid}
        self._addresses = Counter()  # client address -> live sockets (realtime.limits)

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

    def count_from(self, address):
        """How many of this process's sockets came from the client ``address``."""
        return self._addresses.get(address, 0)

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

    # -- for endpoint handlers and Socket, not for apps ---------------------
    # (realtime.endpoints.Endpoint adds and removes; Socket.join/leave index rooms)
    def add(self, socket):
        """Add an accepted socket; False if one with its ``sid`` is here already."""
        with self._lock:
            if socket.sid in self._by_sid:
                return False
            self._by_sid[socket.sid] = socket
            socket.counted_address = client_address(socket)  # removed under the same name
            self._addresses[socket.counted_address] += 1
            return True

    def remove(self, socket):
        """Remove ``socket`` and its room entries; True only the first time (never raises)."""
        with self._lock:
            if self._by_sid.get(socket.sid) is not socket:
                return False
            del self._by_sid[socket.sid]
            address = getattr(socket, "counted_address", "?")
            self._addresses[address] -= 1
            if self._addresses[address] <= 0:
                del self._addresses[address]
            for room in socket.rooms:
                self._discard(socket, room)
            return True

    def index_join(self, socket, room):
        """Record that ``socket`` is in ``room`` (``Socket.join`` calls it)."""
        with self._lock:
            self._rooms[(socket.endpoint, room)].add(socket.sid)

    def index_leave(self, socket, room):
        """Forget that ``socket`` is in ``room`` (``Socket.leave`` calls it)."""
        with self._lock:
            self._discard(socket, room)

    def _discard(self, socket, room):
        key = (socket.endpoint, room)
        sids = self._rooms.get(key)
        if sids is not None:
            sids.discard(socket.sid)
            if not sids:
                del self._rooms[key]


def client_address(socket):
    """The client's address (``REMOTE_ADDR``: the real one behind a trusted proxy) or ``"?"``."""
    meta = getattr(getattr(socket, "request", None), "META", None) or {}
    return meta.get("REMOTE_ADDR") or "?"


#: This process's live sockets (both transports).
connected_sockets = SocketRegistry()
