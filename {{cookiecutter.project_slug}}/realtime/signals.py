"""The signals a realtime app is written against.

Every transport (Socket.IO, SockJS) sends the same signals with the same
arguments, so a receiver written once works whichever transport a client used.
Each is sent with ``sender=socket`` (a :class:`realtime.sockets.Socket`) and
``request=socket.request`` (a Django ``HttpRequest`` with ``session`` and
``user`` resolved from the connection's cookies).
"""

import threading

from django.dispatch import Signal

#: A client connected. Raise :class:`realtime.exceptions.ConnectionRefused`
#: in a receiver to refuse it; the client is told why.
socket_connected = Signal()

#: A client went away (or was disconnected). Sent once, and only for sockets
#: whose ``socket_connected`` went through.
socket_disconnected = Signal()

#: The client sent a plain message: ``message=``.
socket_client_message = Signal()

#: The client emitted an event: ``event=`` (a :class:`realtime.events.Event`).
socket_client_event = Signal()

#: A socket joined a room: ``room=``. Presence is built on these.
socket_joined_room = Signal()

#: A socket left a room (or disconnected while in it): ``room=``.
socket_left_room = Signal()


class EventSignals(dict[str, Signal]):
    """``socket_client_event_by_type['chat']``: one signal per event name.

    A signal is created the first time a name is looked up, so receivers can
    be connected before any client has sent that event.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __missing__(self, name: str) -> Signal:
        with self._lock:
            return self.setdefault(name, Signal())

    def has_listeners(self, name: str) -> bool:
        """True if a receiver waits for ``name``; does not create a signal."""
        signal = self.get(name)
        return signal is not None and signal.has_listeners()


#: Per event name: ``socket_client_event_by_type['chat'].connect(receiver)``.
socket_client_event_by_type = EventSignals()
