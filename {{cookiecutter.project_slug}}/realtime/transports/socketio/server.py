"""The python-socketio server, wired to the core.

python-socketio speaks the protocol (Engine.IO v4, Socket.IO v5, websocket
and long-polling, pings, acks); this subclass routes what a client does to
the endpoint's handler (:mod:`realtime.dispatch` for ``/``) and follows the
protocol documents where python-socketio does not:

* events a receiver emits while the client connects (``socket_connected``,
  a client signal's ``on_open``) go out after the CONNECT packet, not before;
* a malformed packet (or an event without a name, data nested deeper than
  :data:`.guard.MAX_DEPTH`, a binary packet announcing more than
  :data:`MAX_ATTACHMENTS` or whose attachments pass the message limit) closes
  the session, with one log line, as the protocol says; a packet for a
  namespace the client has not joined is dropped (logged), as the Node
  server ignores it;
* a client that opens a session but joins no namespace within
  ``REALTIME_CONNECT_TIMEOUT`` is closed.

The first and last live in :mod:`.handshake`, Engine.IO fixes in
:mod:`.compat`. Every namespace is an
endpoint registered in :mod:`realtime.endpoints`; any other namespace gets
``CONNECT_ERROR`` ``{"message": "Invalid namespace"}``.
"""

import functools
import logging
import time

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from realtime import conf, endpoints, stats
from realtime.exceptions import ConnectionRefused
from realtime.origins import origin_allowed
from realtime.requests import request_from_environ
from realtime.transports.socketio.guard import MAX_DEPTH, too_deep
from realtime.transports.socketio.handshake import HandshakeMixin
from realtime.transports.socketio import compat, direct, inbox
from realtime.transports.socketio.direct import DirectWebSocket, use_lazy_writers
from realtime.transports.socketio.socket import SocketIOSocket

logger = logging.getLogger("realtime")


def _library_logger(name):
    """python-socketio/engineio log every packet at INFO: keep them to warnings.

    Their own logger names, not children of ``realtime``: Django's logging
    set-up resets the levels of the ``realtime`` logger's children.
    """
    log = logging.getLogger(name)
    if log.level == logging.NOTSET:
        log.setLevel(logging.WARNING)
    return log


#: Attachments one binary packet may announce: socket.io-parser's default (maxAttachments).
MAX_ATTACHMENTS = 10


def _origin_ok(origin, environ=None):
    return origin_allowed(origin, environ or {})


class RealtimeSocketIOServer(HandshakeMixin, socketio.Server):
    """A ``socketio.Server(async_mode='gevent')`` serving :mod:`realtime.endpoints`.

    Settings come from :mod:`realtime.conf`: ping interval and timeout, and
    the largest frame a client may send. Origins are checked in front of it,
    by :mod:`realtime.transports.socketio.wsgi`.
    """

    def __init__(self, **options):
        defaults = {
            "async_mode": "gevent",
            "namespaces": "*",  # endpoints are checked on connect, with a reason
            "async_handlers": True,  # unused: _handle_event queues events per socket
            "always_connect": False,  # a refusal is a CONNECT_ERROR the client sees
            "ping_interval": conf.ping_interval(),
            "ping_timeout": conf.ping_timeout(),
            "max_http_buffer_size": conf.max_message_bytes(),
            # The WSGI app refuses other origins first, with a log line; this
            # keeps the server safe when mounted without it.
            "cors_allowed_origins": _origin_ok,
            "cors_credentials": True,
            "logger": _library_logger("socketio.server"),
            "engineio_logger": _library_logger("engineio.server"),
        }
        defaults.update(options)
        compat.check_library()
        super().__init__(**defaults)
        # Our websocket wrapper drops bad frames before Engine.IO sees them,
        # and takes prepared frames straight to the client (see .direct).
        compat.use_websocket_driver(self.eio, DirectWebSocket)
        compat.allow_polling_batches(conf.max_message_bytes())
        if self.async_mode == "gevent":
            compat.use_timer_pings()
            use_lazy_writers(self.eio)
        #: sid -> SocketIOSocket, for this server's connected sockets.
        self.sockets = {}
        #: Set by :meth:`drain_events` on shutdown: events read from then on are not run.
        self.closing = False
        self.refused_while_closing = 0
        self._init_handshake(conf.connect_timeout())
        self.on("connect", self._on_connect, namespace="*")
        self.on("disconnect", self._on_disconnect, namespace="*")

    def _engineio_server_class(self):
        return compat.EngineIOServer

    # -- inbound: connect / disconnect -----------------------------------------
    def _on_connect(self, namespace, sid, environ, auth=None):
        """Build the socket and run the endpoint's connect (which may refuse)."""
        try:
            handler = endpoints.get(namespace)
            if handler is None:
                stats.counters.refused += 1
                logger.info("refused %s: no endpoint %.100r (not in CLIENTSIGNAL_CONNECTIONS)", sid, namespace)
                raise ConnectionRefused("Invalid namespace")  # the Node server's words
            eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
            socket = SocketIOSocket(self, sid, eio_sid, request_from_environ(environ), namespace, auth)
            self._hold_writes(socket)
            self.sockets[sid] = socket
            try:
                handler.connect(socket)
            except BaseException:
                self.sockets.pop(sid, None)
                raise
        except ConnectionRefused as refused:
            raise socketio.exceptions.ConnectionRefusedError(refused.reason) from None
        except Exception:
            # e.g. the session store is down: refuse this client, keep serving.
            stats.counters.refused += 1
            logger.exception("connect of %s on %r failed; refusing it", sid, namespace)
            raise socketio.exceptions.ConnectionRefusedError("server error") from None
        return True

    def _on_disconnect(self, namespace, sid, reason=None):
        socket = self.sockets.pop(sid, None)
        if socket is None:
            return
        try:
            endpoints.get(socket.endpoint).disconnect(socket)
        except Exception:
            logger.exception("disconnect of %s failed", sid)

    # -- inbound: packets ----------------------------------------------------
    def _handle_eio_message(self, eio_sid, data):
        """Decode a Socket.IO packet; a malformed one closes the session (one log line)."""
        try:
            self._count_attachment(compat.pending_binary(self, eio_sid), data)
            super()._handle_eio_message(eio_sid, data)
            pending = compat.pending_binary(self, eio_sid)
            if pending is not None and pending.attachment_count > MAX_ATTACHMENTS:
                raise ValueError(f"{pending.attachment_count} attachments announced, over {MAX_ATTACHMENTS}")
        except Exception as exc:
            stats.counters.dropped += 1
            compat.drop_pending_binary(self, eio_sid)
            logger.warning(
                "closing Engine.IO session %s: malformed Socket.IO packet: %s (%.80r)",
                eio_sid,
                exc or type(exc).__name__,
                data,
            )
            compat.close_session(self.eio, eio_sid)

    def _count_attachment(self, pending, data):
        """A binary packet's attachments may not add up past the message limit: python-socketio
        collects them without end (a packet may announce 9,999,999,999)."""
        if pending is None:
            return
        pending.realtime_bytes = getattr(pending, "realtime_bytes", 0) + len(data)
        if pending.realtime_bytes > self.eio.max_http_buffer_size:
            raise ValueError(f"binary attachments over REALTIME_MAX_MESSAGE_BYTES ({self.eio.max_http_buffer_size})")

    def _handle_event(self, eio_sid, namespace, id, data):
        """An EVENT packet: queue it for the endpoint's handler (see :mod:`.inbox`)."""
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        socket = self.sockets.get(sid)
        if socket is None:
            stats.counters.dropped += 1
            logger.warning("dropped event from %s: not connected to namespace %r", eio_sid, namespace)
            return
        if self.closing:
            self.refused_while_closing += 1  # not run, not acked: the client sends it again after reconnecting
            return
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise ValueError("an EVENT must be a list starting with the event name")
        if too_deep(data):
            raise ValueError(f"data nested deeper than {MAX_DEPTH} levels")
        ack = None
        if id is not None:

            def ack(*params):
                self._send_packet(
                    eio_sid, self.packet_class(sio_packet.ACK, namespace=namespace, id=id, data=list(params))
                )

        # Blocks this client's reader while its receivers are behind (backpressure).
        inbox.put(self, socket, (data[0], data[1:], ack))

    def _run_event(self, socket, name, args, ack):
        handler = endpoints.get(socket.endpoint)
        try:
            if name == "message":  # the client's socket.send(data)
                handler.message(socket, args[0] if len(args) == 1 else list(args))
                if ack is not None:
                    ack()
            else:
                handler.event(socket, name, args, ack=ack)
        except Exception:
            logger.exception("event %r from %s failed", name, socket.sid)

    # -- outbound --------------------------------------------------------------
    def encode_event(self, namespace, data):
        """Engine.IO frames for an EVENT packet: encoded once, sent to many."""
        encoded = self.packet_class(sio_packet.EVENT, namespace=namespace, data=data).encode()
        if not isinstance(encoded, list):
            encoded = [encoded]
        frames = [eio_packet.Packet(eio_packet.MESSAGE, part) for part in encoded]
        for frame in frames:
            if not frame.binary:
                frame.encode()  # cached on the packet: every client's writer reuses it
        return frames

    def write_event(self, sockets, namespace, data):
        """Write one EVENT to ``sockets`` (all on ``namespace``)."""
        if self._connecting:
            sockets = self._hold(sockets, functools.partial(self.write_event, namespace=namespace, data=data))
        frames = self.encode_event(namespace, data)
        send = self.eio.send_packet
        if any(frame.binary for frame in frames):
            # Engine.IO caches a binary frame's first encoding, raw for a
            # websocket or base64 for long-polling: such frames cannot be
            # shared between clients (bytes in events are rare).
            for socket in sockets:
                for frame in frames:
                    send(socket.eio_sid, eio_packet.Packet(eio_packet.MESSAGE, frame.data))
            return
        direct.write(self, sockets, frames)

    def write_event_with_ack(self, socket, event, args, callback):
        """An EVENT with an ack id: ``callback(*args)`` runs when the client acks."""
        if getattr(socket, "held", None) is not None:
            socket.held.append(functools.partial(self.write_event_with_ack, socket, event, args, callback))
            return
        id = compat.new_ack_id(self, socket.sid, callback)
        pkt = self.packet_class(sio_packet.EVENT, namespace=socket.endpoint, data=[event, *args], id=id)
        self._send_packet(socket.eio_sid, pkt)

    def drain_events(self, timeout):
        """Shutdown, first step: the events already read finish, so their acks are queued
        before :meth:`close_all` ends the transports (which still sends what was queued).

        Events read after this are not run: run, a chat line would be stored while its
        ack could no longer reach the sender. Returns the seconds it took.
        """
        self.closing = True
        started = time.monotonic()
        while time.monotonic() - started < timeout and any(s.draining for s in list(self.sockets.values())):
            self.sleep(0.02)
        if self.refused_while_closing:
            logger.info("%d event(s) arrived during shutdown and were not run", self.refused_while_closing)
        return time.monotonic() - started

    def close_all(self):
        """Close every Engine.IO connection (shutdown): clients will reconnect.

        Closing the transport (not a Socket.IO DISCONNECT, which tells
        clients to stay away) makes socket.io clients reconnect, to this
        process once it is back or to another one behind the proxy. It is
        aborted (what was queued is still sent, then the transport ends)
        rather than closed with an Engine.IO CLOSE packet: browsers reconnect
        after either, but python-socketio's client takes a CLOSE as final.
        """
        for eio_socket in list(self.eio.sockets.values()):
            try:
                eio_socket.close(wait=False, abort=True, reason=self.eio.reason.SERVER_DISCONNECT)
            except Exception:
                logger.exception("closing %s failed", eio_socket.sid)


def build_app(server=None, django_app=None):
    """The WSGI app ``rungevent`` serves: Socket.IO at its path, Django elsewhere."""
    from realtime.transports.socketio.wsgi import RealtimeWSGIApp

    if django_app is None:
        from django.core.wsgi import get_wsgi_application

        django_app = get_wsgi_application()
    return RealtimeWSGIApp(server or RealtimeSocketIOServer(), django_app)
