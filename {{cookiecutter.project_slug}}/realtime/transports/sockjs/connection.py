"""One SockJS session = one :class:`SockJSSocket` driving the endpoint's handler.

sockjs-tornado calls ``on_open``/``on_message``/``on_close`` on the IOLoop.
We never run a receiver there: each call becomes a task in the socket's
:class:`~realtime.transports.sockjs.workers.SerialQueue`. Writes go the
other way: whatever thread a receiver runs in, the frame hops onto the loop
with ``add_callback`` (tornado is not thread-safe; ``add_callback`` is).

Refusing a connection is done from the worker, after ``on_open`` returned;
a close at any moment is safe on every transport (see ``session``).
"""

import itertools
import json
import logging
import uuid

from sockjs.tornado import SockJSConnection
from sockjs.tornado.transports.rawwebsocket import RawSession

from realtime import conf, endpoints, outbox, stats
from realtime.exceptions import ConnectionRefused
from realtime.requests import environ_from_headers, request_from_environ
from realtime.sockets import Socket
from realtime.transports.sockjs.framing import BadFrame
from realtime.transports.sockjs.workers import SerialQueue

logger = logging.getLogger("realtime")

#: Close codes our clients understand (SockJS lets servers use 3000-4999).
CLOSE_DISCONNECT = 4000  # the server called socket.disconnect(): do not reconnect
CLOSE_REFUSED = 4403  # a socket_connected receiver refused: do not reconnect
CLOSE_RESTART = 1012  # the server is restarting: reconnect


class Shutdown:
    """Set on SIGTERM (``runsocket``): events that arrive from then on are not run.

    The events already read finish and their acks go out before the close
    frames; a later one would run without its ack ever reaching the client
    (a chat line stored, the sender told nothing). Not run, it is simply not
    acknowledged: the client sends it again after reconnecting.
    """

    draining = False
    refused = 0


def close_session(session, code, reason, io_loop=None):
    """Close ``session`` (on the loop) with ``code`` and ``reason`` exactly as given."""
    if session is not None and not session.is_closed:
        session.close(code, str(reason))


def send_prepared(session, jsonified):
    """Send one JSON-encoded SockJS message; the raw ``/websocket`` gets the message itself."""
    if session.send_expects_json:
        session.send_jsonified(jsonified, False)
    else:  # sockjs-tornado's RawSession (no SockJS framing) has no send_jsonified
        session.send_message(json.loads(jsonified), stats=False)


class SockJSSocket(Socket):
    """A realtime :class:`~realtime.sockets.Socket` over a SockJS session."""

    transport = "sockjs"
    #: What goes before each of this socket's texts in its SockJS message
    #: (a multiplexed channel's ``msg,<topic>,``; see ``multiplex``).
    frame_prefix = ""

    def __init__(self, conn, sid, endpoint, wire, io_loop):
        super().__init__(sid, request=None, endpoint=endpoint)
        self.conn = conn
        self.wire = wire
        self.io_loop = io_loop
        self.queue = SerialQueue()
        self._acks = {}
        self._ack_ids = itertools.count(1)

    # -- writes (any thread) ------------------------------------------------------
    def _write_text(self, text):
        # ASCII-only packet: sockjs-tornado 1.0.7's polling transports set
        # Content-Length in characters, which truncates non-ASCII bodies.
        if text is not None:
            self.io_loop.add_callback(self._send_on_loop, json.dumps(text))

    def _send_on_loop(self, jsonified):
        session = self.conn.session
        if session is not None and not session.is_closed:
            send_prepared(session, jsonified)
            stats.counters.messages_out += 1
            outbox.sockjs_backlog(self, session)  # a client that never reads

    def _write_message(self, message):
        self._write_text(self.wire.message(message))

    def _write_event(self, event, args, callback):
        ack_id = None
        if callback is not None and self.wire.name == "core":
            ack_id = next(self._ack_ids)
            self._acks[ack_id] = callback
        try:
            self._write_text(self.wire.event(event, args, ack_id))
        except TypeError:
            self._acks.pop(ack_id, None)
            raise

    def _close(self, code=CLOSE_DISCONNECT, reason="disconnect"):
        self.io_loop.add_callback(close_session, self.conn.session, code, reason, self.io_loop)

    # -- inbound, in the socket's worker --------------------------------------------
    def _client_ack(self, ack_id, args):
        callback = self._acks.pop(ack_id, None)
        if callback is None:
            logger.info("ack %s from %s matches no pending emit; dropped", ack_id, self.sid)
            stats.counters.dropped += 1
            return
        callback(*args)

    def _ack_function(self, ack_id):
        if ack_id is None:
            return None

        def ack(*params):
            self._write_text(self.wire.ack(ack_id, params))

        return ack


class RealtimeConnection(SockJSConnection):
    """sockjs-tornado's connection class for one endpoint (subclassed per router).

    The router sets ``endpoint``, ``wire`` and ``io_loop`` on a subclass;
    the handler is looked up in :mod:`realtime.endpoints` at connect time.
    """

    endpoint = "/"
    wire = None
    io_loop = None
    socket_class = SockJSSocket
    #: On the raw ``/websocket`` broken JSON closes the connection (see below); a
    #: multiplexed channel answers ``bad_frame`` instead (the other channels live on).
    abort_on_broken_json = True

    def on_open(self, info):
        self.socket = self.socket_class(self, uuid.uuid4().hex, self.endpoint, self.wire, self.io_loop)
        self.handler = endpoints.get(self.endpoint)
        environ = environ_from_headers(
            info.path,
            getattr(info, "query", ""),
            dict(info.headers),
            info.ip,
            getattr(info, "scheme", "http"),
        )
        self.socket.queue.submit(self._connect, environ)

    def _connect(self, environ):  # worker thread
        socket = self.socket
        try:
            socket.request = request_from_environ(environ)
            if self.handler is None:
                raise ConnectionRefused("no handler for this endpoint")
            self.handler.connect(socket)
        except ConnectionRefused as refused:
            self._refuse(refused.reason)
            return
        except Exception:
            logger.exception("connect of %s on %s failed; refusing", socket.sid, self.endpoint)
            self._refuse("server error")
            return
        socket._write_text(self.wire.connected(socket.sid))

    def _refuse(self, reason):
        socket = self.socket
        socket.connected = False
        try:
            socket.emit("error", {"error": "refused", "message": str(reason)})
        finally:
            socket._close(CLOSE_REFUSED, "refused")

    def on_message(self, text):  # IOLoop
        socket = self.socket
        if Shutdown.draining:
            Shutdown.refused += 1
            return None
        if not isinstance(text, str):
            return self._drop("a SockJS message is a string")
        limit = conf.max_message_bytes()
        if len(text) > limit or (len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit):
            return self._drop(f"message over REALTIME_MAX_MESSAGE_BYTES ({limit} bytes)", "too_large")
        try:
            kind, fields = self.wire.decode(text)
        except BadFrame as exc:
            return self._drop(f"malformed frame: {str(exc)[:100]}", "bad_frame")
        except (ValueError, RecursionError) as exc:
            if self.abort_on_broken_json and isinstance(self.session, RawSession):
                # the raw websocket has no SockJS framing: broken JSON is a broken frame, as on /websocket
                stats.counters.dropped += 1
                logger.warning("broken JSON on the raw websocket of %s; closing", socket.sid)
                if self.session.handler is not None:
                    self.session.handler.abort_connection()
                return None
            if isinstance(exc, RecursionError):  # json's C decoder stops at Python's recursion limit
                return self._drop("malformed frame: JSON nested too deeply", "bad_frame")
            return self._drop(f"malformed frame: {str(exc)[:100]}", "bad_frame")
        # Never refused: the transport stops reading this client while its
        # receivers are behind (workers.SerialQueue.room), so nothing is lost.
        if kind == "ack":
            socket.queue.submit(socket._client_ack, *fields)
        elif kind == "message":
            socket.queue.submit(self._message, fields)
        else:
            socket.queue.submit(self._event, *fields)

    def _drop(self, why, code=None):
        stats.counters.dropped += 1
        logger.warning("dropped frame from %s: %s", self.socket.sid, why)
        if code:
            self.socket.emit("error", {"error": code, "message": why})

    def _message(self, data):  # worker
        if self.socket.connected:
            self.handler.message(self.socket, data)

    def _event(self, name, args, ack_id):  # worker
        if self.socket.connected:
            self.handler.event(self.socket, name, args, ack=self.socket._ack_function(ack_id))

    def on_close(self):  # IOLoop
        socket = getattr(self, "socket", None)
        if socket is not None:
            socket.queue.submit(self._disconnect)

    def _disconnect(self):  # worker
        socket = self.socket
        socket._acks.clear()
        if self.handler is not None:
            self.handler.disconnect(socket)
