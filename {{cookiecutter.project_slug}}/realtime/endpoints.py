"""Which handler serves which endpoint.

An endpoint is a logical address shared by every transport: ``"/"`` is the
core endpoint (Socket.IO's default namespace, the SockJS prefix
``REALTIME_SOCKJS_PREFIX``); a client-signal connection such as ``"/simple"``
is a Socket.IO namespace and a SockJS prefix of the same name.

A handler is any object with the four functions of :mod:`realtime.dispatch`:
``connect(socket)``, ``disconnect(socket)``, ``message(socket, data)`` and
``event(socket, name, args, ack=None)``. Transports look the handler up when a
client connects and never need to know what it does.
"""

import threading

from realtime import dispatch

_lock = threading.Lock()
_handlers = {"/": dispatch}


def register(endpoint, handler):
    """Serve ``endpoint`` (``"/name"``) with ``handler``."""
    if not isinstance(endpoint, str) or not endpoint.startswith("/"):
        raise ValueError(f"an endpoint is a path such as '/simple', not {endpoint!r}")
    with _lock:
        _handlers[endpoint.rstrip("/") or "/"] = handler


def get(endpoint):
    """The handler of ``endpoint``, or None if nothing serves it."""
    return _handlers.get(endpoint.rstrip("/") or "/")


def all():  # noqa: A001 - reads well as endpoints.all()
    with _lock:
        return dict(_handlers)
