"""realtime: Django signals over Socket.IO and SockJS.

The API in one screen::

    from django.dispatch import receiver
    from realtime.signals import socket_connected, socket_client_event_by_type

    @receiver(socket_connected)
    def hello(sender, request, **kwargs):
        sender.join("lobby")                     # sender is the Socket

    @receiver(socket_client_event_by_type["chat"])
    def chat(sender, request, event, **kwargs):
        sender.broadcast_emit("chat", event.data, room="lobby")
        return "ok"                              # becomes the ack

    import realtime
    realtime.emit("notice", "from a view", room="lobby")   # from anywhere
    realtime.presence("lobby")                             # who is there

Layout: the core (``sockets``, ``signals``, ``events``, ``dispatch``,
``delivery``, ``bus``, ``registry``) knows no transport; each transport in
``realtime.transports`` is an adapter that turns its protocol into calls to
``dispatch`` and writes envelopes that ``delivery`` hands it.
"""

# Load the ``presence`` submodule now, so that the ``presence()`` function
# defined below replaces it as the package attribute for good: loaded later
# (by the bus), the submodule would shadow the function.
from typing import Any

from realtime import presence as _presence_module  # noqa: F401
from realtime.registry import connected_sockets

__all__ = ["connected_sockets", "emit", "send", "presence"]


def emit(event: str, *args: Any, room: str | None = None, to: str | None = None, endpoint: str = "/") -> None:
    """Emit ``event`` to every socket (or ``room``, or the socket ``to``), in every process.

    Works from a view, the shell, a management command or a worker: no event
    loop is needed, and a networked bus carries it to every socket process.
    """
    from realtime.bus import publish
    from realtime.envelope import Envelope

    publish(Envelope.for_event(event, args, endpoint=endpoint, room=room, to=to))


def send(message: Any, room: str | None = None, to: str | None = None, endpoint: str = "/") -> None:
    """Send a plain message to every socket (or ``room``, or ``to``), in every process."""
    from realtime.bus import publish
    from realtime.envelope import Envelope

    publish(Envelope.for_message(message, endpoint=endpoint, room=room, to=to))


def presence(room: str, endpoint: str = "/") -> list[dict[str, Any]]:
    """Who is in ``room``, across processes: a list of dicts with ``sid``,
    ``transport``, ``process``, ``user_id``, ``username`` and ``nickname``."""
    from realtime.bus import get_bus

    return get_bus().presence(room, endpoint)
