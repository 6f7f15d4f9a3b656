"""One transport-neutral object per connection.

A transport (``realtime.transports.socketio`` or ``.sockjs``) subclasses
:class:`Socket` and implements the four ``_write_*``/``_close`` methods; the
rest (rooms, broadcasts, django-realtime's API) lives here once for both.
"""

import itertools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from realtime import bus, limits, registry, signals
from realtime.envelope import Envelope

#: The endpoint the core API (signals, rooms, chat) lives on. Client-signal
#: connections live on endpoints of their own (their URL, e.g. ``/simple``).
DEFAULT_ENDPOINT = "/"


class SessionInfo:
    """``socket.session.session_id``: django-realtime's name for the socket id.

    The Django session is ``socket.request.session``.
    """

    __slots__ = ("session_id",)

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id

    def __repr__(self) -> str:
        return f"<SessionInfo {self.session_id}>"


_counter = itertools.count(1)


class Socket:
    """A connected client, whichever transport it came by.

    ``sid``        unique id of this connection (across processes).
    ``request``    a Django ``HttpRequest`` with ``session`` and ``user``.
    ``transport``  ``'socketio'`` or ``'sockjs'``.
    ``endpoint``   ``'/'`` for the core endpoint, else a client-signal URL.
    ``rooms``      the rooms this socket is in (a frozenset).
    """

    transport: str | None = None

    def __init__(self, sid: str, request: HttpRequest, endpoint: str = DEFAULT_ENDPOINT) -> None:
        self.sid = sid
        self.request = request
        self.endpoint = endpoint
        self.session = SessionInfo(sid)
        self.connected = False
        self._rooms: set[str] = set()
        self._order = next(_counter)

    # -- sending to this client -------------------------------------------
    def send(self, message: Any) -> None:
        """Send a plain message to this client (JSON-encoded if not a str)."""
        self._write_message(message)

    def emit(self, event: str, *args: Any, callback: Callable[..., Any] | None = None) -> None:
        """Emit ``event`` with ``args`` to this client.

        ``callback(*ack_args)`` is called when the client acknowledges.
        """
        self._write_event(event, args, callback)

    # -- sending to others ------------------------------------------------
    def broadcast_send(self, message: Any, room: str | None = None) -> None:
        """Send to every client on this endpoint (or ``room``) but this one."""
        bus.publish(Envelope.for_message(message, endpoint=self.endpoint, room=room, skip=self.sid))

    def broadcast_emit(self, event: str, *args: Any, room: str | None = None) -> None:
        """Emit to every client on this endpoint (or ``room``) but this one."""
        bus.publish(Envelope.for_event(event, args, endpoint=self.endpoint, room=room, skip=self.sid))

    # -- rooms -------------------------------------------------------------
    @property
    def rooms(self) -> frozenset[str]:
        return frozenset(self._rooms)

    def join(self, room: str) -> None:
        """Join ``room``; emits to the room reach this socket from any process.

        Raises :class:`realtime.limits.TooManyRooms` past ``REALTIME_MAX_ROOMS_PER_SOCKET``.
        """
        if not isinstance(room, str) or not room:
            raise ValueError("a room name is a non-empty string")
        if room in self._rooms:
            return
        limits.check_room(self, room)  # TooManyRooms past REALTIME_MAX_ROOMS_PER_SOCKET
        self._rooms.add(room)
        registry.connected_sockets.index_join(self, room)
        bus.get_bus().joined(self, room)
        signals.socket_joined_room.send(sender=self, request=self.request, room=room)

    def leave(self, room: str) -> None:
        """Leave ``room`` (no error if not in it)."""
        if room not in self._rooms:
            return
        self._rooms.discard(room)
        registry.connected_sockets.index_leave(self, room)
        bus.get_bus().left(self, room)
        signals.socket_left_room.send(sender=self, request=self.request, room=room)

    def disconnect(self) -> None:
        """Close the connection from the server side."""
        self._close()

    # -- what a transport implements ------------------------------------
    def _write_message(self, message: Any) -> None:
        raise NotImplementedError

    def _write_event(self, event: str, args: tuple[Any, ...], callback: Callable[..., Any] | None) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    @property
    def user(self) -> Any:
        return getattr(self.request, "user", None)

    @property
    def user_id(self) -> Any:
        """The pk of the logged-in user, or None (anonymous, or not resolved yet)."""
        user = self.user
        return user.pk if user is not None and getattr(user, "is_authenticated", False) else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.sid} {self.transport} {self.endpoint}>"
