"""Inbound: turn what a client did into signals (the core endpoint, ``"/"``).

:class:`CoreEndpoint` is the :class:`realtime.endpoints.Endpoint` of the core
endpoint; transports call its four methods (also available as this module's
functions ``connect``, ``disconnect``, ``message`` and ``event``, so the
module itself can be registered as a handler). Nothing here knows which
transport a socket came by. They are synchronous: under gevent they run in the
connection's greenlet, under tornado in a worker thread (never on the loop),
so receivers may use the Django ORM as in a view.

Rules for bad input, the same on every transport: a receiver that raises is
logged with its traceback and the client gets an error (in the ack if it
asked for one); an event nobody listens to is logged and answered with an
``unknown_event`` error. Neither disconnects the client.
"""

import contextlib
import logging
import threading

from django.db import close_old_connections

from realtime import ratelimit, signals, stats
from realtime.endpoints import Endpoint
from realtime.events import Event
from realtime.exceptions import ConnectionRefused, LimitExceeded

logger = logging.getLogger("realtime")

_local = threading.local()


class _LoggedHere(logging.Filter):
    """Django's ``send_robust`` logs each failing receiver; for our signals we
    log it here instead, once, with the socket (and a refusal is no error)."""

    def filter(self, record):
        return not getattr(_local, "depth", 0)


logging.getLogger("django.dispatch").addFilter(_LoggedHere())


@contextlib.contextmanager
def _robust():
    _local.depth = getattr(_local, "depth", 0) + 1  # receivers may dispatch too (kick -> disconnect)
    try:
        yield
    finally:
        _local.depth -= 1


#: Event names the transports reserve; a client may not emit them.
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "error", "message"})


class CoreEndpoint(Endpoint):
    """The core endpoint: ``socket_connected``/``socket_disconnected``, messages and events."""

    def on_connect(self, socket):
        """Run ``socket_connected``; a receiver's ``ConnectionRefused`` (or error) refuses."""
        with _robust():
            results = signals.socket_connected.send_robust(sender=socket, request=socket.request)
        for receiver, result in results:
            if isinstance(result, ConnectionRefused):
                raise result
            if isinstance(result, Exception):
                logger.error(
                    "socket_connected receiver %s raised; refusing %s",
                    _name(receiver),
                    socket.sid,
                    exc_info=(type(result), result, result.__traceback__),
                )
                raise ConnectionRefused("server error")

    def on_disconnect(self, socket):
        _send(signals.socket_disconnected, socket)

    def message(self, socket, message):
        """A plain message from the client: ``socket_client_message``."""
        stats.counters.messages_in += 1
        close_old_connections()
        try:
            if not signals.socket_client_message.has_listeners():
                logger.info("message from %s dropped: no socket_client_message receiver", socket.sid)
                stats.counters.dropped += 1
                return
            _send(signals.socket_client_message, socket, message=message)
        finally:
            close_old_connections()

    def event(self, socket, name, args, ack=None):
        """An event from the client: ``socket_client_event`` then the by-type signal."""
        stats.counters.messages_in += 1
        event = Event(name, args, ack=ack)
        if not isinstance(name, str) or not name or len(name) > 200 or name in RESERVED_EVENTS:
            _reject(socket, event, "bad_event", f"{str(name)[:50]!r} is not an event name a client may emit")
            return
        limited = ratelimit.refusal(socket)
        if limited is not None:  # logged once per streak by ratelimit
            event.ack(limited) if event.acknowledgeable() else socket.emit("error", limited)
            return
        typed = signals.socket_client_event_by_type.has_listeners(name)
        if not typed and not signals.socket_client_event.has_listeners():
            _reject(socket, event, "unknown_event", f"no receiver for event {name!r}")
            return
        close_old_connections()
        try:
            results = _send(signals.socket_client_event, socket, event=event)
            if typed:
                results += _send(signals.socket_client_event_by_type[name], socket, event=event)
        finally:
            close_old_connections()
        limited = [r for r in results if isinstance(r, LimitExceeded)]
        if limited and not event.acknowledgeable():
            socket.emit("error", limited[0].as_error())  # no ack to answer in: the client still hears why
        if event.acknowledgeable() and not event.acknowledged():
            _ack_from_results(event, results)


#: The core endpoint's handler (what ``realtime.endpoints.get("/")`` returns).
core = CoreEndpoint()
#: The handler's methods as functions: ``dispatch.connect(socket)`` etc. (and the
#: module can be registered as a handler of another endpoint).
connect, disconnect, message, event = core.connect, core.disconnect, core.message, core.event


def _ack_from_results(event, results):
    """A receiver's return value is the ack; a refused limit or a failure with no value, an
    error; else an empty ack."""
    limited = [r for r in results if isinstance(r, LimitExceeded)]
    failed = any(isinstance(r, Exception) for r in results)
    values = [r for r in results if r is not None and not isinstance(r, Exception)]
    if limited and not values:
        event.ack(limited[0].as_error())
    elif failed and not values:
        event.ack({"error": "server_error", "message": "the server failed to handle this event"})
    elif values:
        value = values[0]
        event.ack(*value) if isinstance(value, tuple) else event.ack(value)
    else:
        event.ack()


def _send(signal, socket, **kwargs):
    """send_robust, logging each failed receiver once; returns the results."""
    results = []
    with _robust():
        sent = signal.send_robust(sender=socket, request=socket.request, **kwargs)
    for receiver, result in sent:
        if isinstance(result, LimitExceeded):  # the client asked too much: logged by realtime.limits
            stats.counters.dropped += 1
        elif isinstance(result, Exception):
            logger.error(
                "receiver %s raised for %s",
                _name(receiver),
                socket.sid,
                exc_info=(type(result), result, result.__traceback__),
            )
        results.append(result)
    return results


def _reject(socket, event, code, text):
    stats.counters.dropped += 1
    logger.warning("dropped event from %s: %s", socket.sid, text)
    error = {"error": code, "message": text}
    if event.acknowledgeable():
        event.ack(error)
    else:
        socket.emit("error", error)


def _name(receiver):
    return getattr(receiver, "__qualname__", repr(receiver))
