"""``SignalEndpoint``: the endpoint handler of one client-signal URL (any transport).

It subclasses :class:`realtime.endpoints.Endpoint`, which owns the connection
lifecycle (accept, refuse, forget once); this adds the client-signal parts: one
:class:`~realtime.clientsignal.connection.SignalConnection` per client, its
``on_open``/``on_close``, and signals in, as Django Client Signals' wire carries them.
"""

import logging

from django.db import close_old_connections

from realtime import ratelimit, stats
from realtime.clientsignal import settings as cs_settings
from realtime.clientsignal.connection import SignalEncoder
from realtime.endpoints import Endpoint
from realtime.exceptions import ConnectionRefused

logger = logging.getLogger("realtime")


class SignalEndpoint(Endpoint):
    """The :class:`realtime.endpoints.Endpoint` of one client-signal URL (any transport).

    Each accepted socket gets its own connection object (``cls(socket)``, as
    ``socket.signal_connection``); ``on_open`` may refuse it, ``on_close``
    runs once when it goes away.
    """

    wire = "clientsignal"

    def __init__(self, url, cls):
        self.url, self.cls = url, cls
        self.json_encoder = cs_settings.json_encoder(cls) or SignalEncoder
        self.json_object_hook = cs_settings.json_object_hook(cls)

    def on_connect(self, socket):
        connection = self.cls(socket)
        socket.signal_connection = connection
        try:
            opened = connection.on_open(socket.request)
        except ConnectionRefused:
            raise
        except Exception:
            logger.exception("%s.on_open raised; refusing %s", self.cls.__name__, socket.sid)
            raise ConnectionRefused("server error") from None
        if opened is False:
            raise ConnectionRefused("refused by on_open")

    def on_disconnect(self, socket):
        try:
            socket.signal_connection.on_close()
        except Exception:
            logger.exception("%s.on_close raised", self.cls.__name__)

    def on_forget(self, socket):
        connection = getattr(socket, "signal_connection", None)
        if connection is not None:
            connection._cleanup()

    def message(self, socket, data):
        stats.counters.messages_in += 1
        connection = getattr(socket, "signal_connection", None)
        if connection is not None:
            connection._error("bad_frame", 'send signals as {"event": name, "data": {...}}')

    def event(self, socket, name, args, ack=None):
        stats.counters.messages_in += 1
        connection = getattr(socket, "signal_connection", None)
        if connection is None or not socket.connected:
            return
        limited = ratelimit.refusal(socket)  # one log line per streak
        if limited is not None:
            socket.emit("error", limited)
            if ack is not None:
                ack(limited)
            return
        close_old_connections()
        error = None
        try:
            error = connection.handle(name, args[0] if args else None)
        finally:
            close_old_connections()
            if ack is not None:
                ack(error) if error is not None else ack()
