"""Client signals: Django signals sent by and to browsers (Django Client Signals' API).

::

    from django.dispatch import Signal, receiver
    from realtime import clientsignal

    class PingSignalConnection(clientsignal.SignalConnection):
        pass

    ping, pong = Signal(), Signal()
    PingSignalConnection.listen("ping", ping)      # client -> server
    PingSignalConnection.broadcast("pong", pong)   # server -> every client

    @receiver(ping)
    def handle_ping(sender, **kwargs):             # sender: the connection
        pong.send(sender=None, pong="Ponged")      # everyone on /simple
        sender.send("pong", pong="just you")       # the pinger alone

    # settings.py
    CLIENTSIGNAL_CONNECTIONS = {"/simple": "myapp.signals.PingSignalConnection"}

The browser side is ``{% load clientsignal %}{% clientsignal_js %}`` and
``new SignalSocket('/simple')``. Each URL is a SockJS endpoint (``runsocket``)
and a Socket.IO namespace (``rungevent``) of the same name, so client
signals ride whichever transport the project serves; the wire payload is the
Django Client Signals' ``{"event": name, "data": {kwargs}}``. Module-level ``listen`` and
``broadcast`` apply to every ``SignalConnection``.
"""

import threading

from realtime.clientsignal.connection import (
    BaseSignalConnection,
    SignalConnection,
    SignalDataError,
    SignalEncoder,
    signal_object_hook,
)
from realtime.clientsignal.endpoint import SignalEndpoint

__all__ = [
    "BaseSignalConnection",
    "SignalConnection",
    "SignalDataError",
    "SignalEncoder",
    "signal_object_hook",
    "listen",
    "broadcast",
    "register",
    "connections",
    "setup",
]

_lock = threading.Lock()
_connections = None


def listen(name, signal):
    """Every ``SignalConnection`` listens for ``name`` from its clients."""
    SignalConnection.listen(name, signal)


def broadcast(name, signal):
    """``signal.send(...)`` reaches the clients of every ``SignalConnection`` URL."""
    SignalConnection.broadcast(name, signal)


def register(name, signal):
    SignalConnection.register(name, signal)


def connections():
    """``{url: class}`` from ``CLIENTSIGNAL_CONNECTIONS``, imported once."""
    global _connections
    if _connections is None:
        from realtime.clientsignal import settings as cs_settings

        with _lock:
            if _connections is None:
                _connections = {
                    url: cs_settings.load_class(url, path) for url, path in cs_settings.connection_paths().items()
                }
    return _connections


def setup():
    """Validate the settings and serve each ``SignalConnection`` URL on every transport.

    Called by the socket servers at start (and by ``realtime``'s app ready);
    safe to call twice.
    """
    from realtime import endpoints
    from realtime.clientsignal import settings as cs_settings

    cs_settings.check_all()
    from django.core.exceptions import ImproperlyConfigured

    for url, cls in connections().items():
        if not isinstance(cls, type) or not (issubclass(cls, BaseSignalConnection) or hasattr(cls, "on_message")):
            raise ImproperlyConfigured(
                f"CLIENTSIGNAL_CONNECTIONS[{url!r}] must name a SignalConnection subclass "
                "(or a sockjs-tornado SockJSConnection subclass, served over SockJS only)."
            )
        if issubclass(cls, BaseSignalConnection):
            if endpoints.get(url) is None or getattr(endpoints.get(url), "cls", None) is not cls:
                endpoints.register(url, SignalEndpoint(url, cls))
