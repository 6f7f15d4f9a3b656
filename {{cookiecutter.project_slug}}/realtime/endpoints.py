"""Which handler serves which endpoint, and the handler base class.

An endpoint is a logical address shared by every transport: ``"/"`` is the
core endpoint (Socket.IO's default namespace, the SockJS prefix
``REALTIME_SOCKJS_PREFIX``); a client-signal connection such as ``"/simple"``
is a Socket.IO namespace and a SockJS prefix of the same name.

A handler is any object with four methods: ``connect(socket)``,
``disconnect(socket)``, ``message(socket, data)`` and ``event(socket, name,
args, ack=None)``. Transports look the handler up when a client connects and
never need to know what it does. :class:`Endpoint` implements the connection
lifecycle once (accept, refuse, forget exactly once); the core endpoint
(:class:`realtime.dispatch.CoreEndpoint`) and each client-signal URL
(:class:`realtime.clientsignal.endpoint.SignalEndpoint`) subclass it and only
say what happens on top.
"""

import logging
import threading

from django.db import close_old_connections

from realtime import limits, stats
from realtime.exceptions import ConnectionRefused
from realtime.registry import connected_sockets

logger = logging.getLogger("realtime")


class Endpoint:
    """The lifecycle of a connection on one endpoint; subclasses fill in the hooks.

    Transports call, from the connection's greenlet or a worker thread (never
    an event loop), so hooks may use the ORM as a view does:

    * :meth:`connect` registers the socket in ``connected_sockets`` (so the
      hook can join rooms and emit), runs :meth:`on_connect`, and undoes it
      all if the hook refuses (``ConnectionRefused``, re-raised for the
      transport) or raises (logged, refused as ``"server error"``);
    * :meth:`disconnect` runs :meth:`on_disconnect` once, and only for a
      socket that was accepted; calling it twice, or before connect, is safe;
    * :meth:`event` and :meth:`message` are the client's traffic.

    Subclasses implement ``on_connect``, ``on_disconnect``, ``event``,
    ``message`` and, if they hold per-socket state, ``on_forget``.
    """

    def connect(self, socket):
        close_old_connections()
        connected_sockets.add(socket)
        socket.connected = True
        try:
            limits.check_connection(socket)  # REALTIME_MAX_CONNECTIONS_PER_IP
            self.on_connect(socket)
        except ConnectionRefused as refused:
            self._refused(socket, refused)
            raise
        except Exception:
            logger.exception("%s refused %s: its connect hook raised", type(self).__name__, socket.sid)
            refused = ConnectionRefused("server error")
            self._refused(socket, refused)
            raise refused from None
        finally:
            close_old_connections()

    def disconnect(self, socket):
        if not self.forget(socket):
            return
        close_old_connections()
        try:
            self.on_disconnect(socket)
        except Exception:
            logger.exception("%s: the disconnect hook raised for %s", type(self).__name__, socket.sid)
        finally:
            close_old_connections()

    def forget(self, socket):
        """Drop ``socket`` from the registry and its rooms; True only the first time."""
        if not connected_sockets.remove(socket):
            return False
        socket.connected = False
        self.on_forget(socket)
        for room in list(socket.rooms):
            socket.leave(room)
        return True

    def _refused(self, socket, refused):
        self.forget(socket)
        stats.counters.refused += 1
        where = "" if socket.endpoint == "/" else f" on {socket.endpoint}"
        logger.info("refused %s%s: %s", socket.sid, where, refused.reason)

    # -- hooks -------------------------------------------------------------------
    def on_connect(self, socket):
        """Accept (return) or refuse (raise ``ConnectionRefused``) the socket."""

    def on_disconnect(self, socket):
        """The accepted socket went away (runs once)."""

    def on_forget(self, socket):
        """Drop per-socket state; runs once, on refusal and on disconnect alike."""

    def message(self, socket, data):
        raise NotImplementedError

    def event(self, socket, name, args, ack=None):
        raise NotImplementedError


_lock = threading.Lock()
_handlers = {}


def register(endpoint, handler):
    """Serve ``endpoint`` (``"/name"``) with ``handler``."""
    if not isinstance(endpoint, str) or not endpoint.startswith("/"):
        raise ValueError(f"an endpoint is a path such as '/simple', not {endpoint!r}")
    with _lock:
        _handlers[endpoint.rstrip("/") or "/"] = handler


def get(endpoint):
    """The handler of ``endpoint``, or None if nothing serves it."""
    key = endpoint.rstrip("/") or "/"
    if key == "/" and key not in _handlers:
        return _core()
    return _handlers.get(key)


def all():  # noqa: A001 - reads well as endpoints.all()
    with _lock:
        return {"/": _core(), **_handlers}


def _core():
    from realtime import dispatch  # imports this module: load it on first use

    return dispatch.core
