"""Inbound: turn what a client did into signals.

Transports call these four functions; nothing here knows which transport a
socket came by. They are synchronous: under gevent they run in the
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

from realtime import limits, ratelimit, signals, stats
from realtime.events import Event
from realtime.exceptions import ConnectionRefused, LimitExceeded
from realtime.registry import connected_sockets

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


def connect(socket):
    """Run ``socket_connected``; raises :class:`ConnectionRefused` to refuse.

    The socket is in ``connected_sockets`` while the receivers run (so they
    can join rooms and emit) and is removed again if one refuses.
    """
    close_old_connections()
    connected_sockets._add(socket)
    socket.connected = True
    try:
        limits.check_connection(socket)  # REALTIME_MAX_CONNECTIONS_PER_IP
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
    except ConnectionRefused as refused:
        _forget(socket)
        stats.counters.refused += 1
        logger.info("refused %s: %s", socket.sid, refused.reason)
        raise
    finally:
        close_old_connections()


def disconnect(socket):
    """Run ``socket_disconnected`` once; safe to call twice or before connect."""
    if not _forget(socket):
        return
    close_old_connections()
    try:
        _send(signals.socket_disconnected, socket)
    finally:
        close_old_connections()


def message(socket, message):
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


def event(socket, name, args, ack=None):
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


def _forget(socket):
    """Leave every room and drop the socket from the registry, exactly once."""
    if not connected_sockets._remove(socket):
        return False
    socket.connected = False
    for room in list(socket.rooms):
        socket.leave(room)
    return True


def _name(receiver):
    return getattr(receiver, "__qualname__", repr(receiver))
