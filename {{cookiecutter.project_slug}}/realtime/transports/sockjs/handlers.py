"""sockjs-tornado's request handlers, hardened and made to follow the protocol (without patching the library).

Every handler a router mounts is replaced by a subclass mixing in:

* the Origin check (``realtime.origins.origin_allowed``) on every request,
  websocket or polling, and CORS headers as the reference server sends them
  for an allowed origin (``Access-Control-Allow-Origin`` echoing it, with
  credentials; ``*`` without credentials when no Origin was sent);
  sockjs-tornado itself allows and echoes any Origin;
* ``Cache-Control: no-store, no-cache, no-transform, must-revalidate, max-age=0``
  on every session response, so neither caches nor compressing proxies
  keep or buffer them;
* per transport: ``xhr_send``'s 204 keeps ``Content-Type: text/plain`` and a
  body size limit (413); EventSource says ``text/event-stream`` without a
  charset; a streaming response to an HTTP/1.0 client is closed after its
  last frame (tornado keeps such a connection open when the client asked for
  keep-alive, so the client never sees the end of the body); a non-GET
  request to a websocket URL gets 405 with no body; a websocket frame that is
  not JSON closes the connection abruptly with one log line (no traceback);
  the raw websocket's close carries the session's code and reason;
* messages that are not strings (websocket, ``xhr_send``, ``jsonp_send``):
  dropped with one log line, where sockjs-tornado passed them on (a plain
  ``SockJSConnection`` failed on them) or raised on a body not an array;
* :func:`log_request`: the protocol's 500s for a client's bad request are
  WARNING lines in tornado's access log, not ERROR;
* ``legacy``: jsonp, jsonp_send, htmlfile and the iframe page.
"""

import json
import logging

from sockjs.tornado import static, transports
from sockjs.tornado.transports import pollingbase
from sockjs.tornado.websocket import SockJSWebSocketHandler
from tornado.log import access_log
from tornado.web import RequestHandler
from tornado.websocket import WebSocketHandler

from realtime import stats
from realtime.origins import origin_allowed
from realtime.requests import environ_from_headers
from realtime.registry import connected_sockets
from realtime.transports.sockjs import legacy
from realtime.transports.sockjs.gate import body_limit
from realtime.transports.sockjs.tornado_compat import KeepContentTypeOn204

logger = logging.getLogger("realtime")

NO_CACHE = "no-store, no-cache, no-transform, must-revalidate, max-age=0"


def handshake_environ(request):
    """The WSGI environ of a tornado request, for :func:`realtime.origins.origin_allowed`."""
    return environ_from_headers(request.path, request.query, dict(request.headers), request.remote_ip, request.protocol)


class HardenedMixin:
    logged = False  # sockjs-tornado's InfoHandler never sets it, and finish() reads it

    def prepare(self):
        origin = self.request.headers.get("Origin")
        if origin and not origin_allowed(origin, handshake_environ(self.request)):
            stats.counters.refused += 1
            logger.warning("refused SockJS request from origin %r (see REALTIME_ALLOWED_ORIGINS)", origin[:100])
            self.set_status(403)
            self.finish("origin not allowed\n")
            return None
        return super().prepare()

    def preflight(self):
        origin = self.request.headers.get("Origin")  # allowed: prepare() checked it
        if origin:
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Allow-Credentials", "true")
        else:
            self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Vary", "Origin")
        asked = self.request.headers.get("Access-Control-Request-Headers")
        if asked:
            self.set_header("Access-Control-Allow-Headers", asked)

    def disable_cache(self):
        self.set_header("Cache-Control", NO_CACHE)

    def enable_cache(self):
        super().enable_cache()
        self.set_header("Cache-Control", "max-age=31536000, public, no-transform")

    def set_default_headers(self):
        super().set_default_headers()
        self.set_header("Cache-Control", NO_CACHE)

    def get_conn_info(self):
        info = super().get_conn_info()
        info.query = self.request.query
        info.scheme = self.request.protocol
        return info


class StreamingMixin(HardenedMixin):
    def on_finish(self):
        super().on_finish()
        if self.request.version != "HTTP/1.1":
            # HTTP/1.0 has no chunks: the end of the body is the end of the connection
            stream = self.request.connection.stream
            if not stream.closed():
                stream.write(b"").add_done_callback(lambda _done: stream.close())


class EventSourceMixin(StreamingMixin):
    def set_header(self, name, value):
        if name.lower() == "content-type" and str(value).startswith("text/event-stream"):
            value = "text/event-stream"  # the protocol's type: no charset parameter
        super().set_header(name, value)


class HtmlFileMixin(legacy.HtmlFileMixin, StreamingMixin):
    pass


class JsonpMixin(legacy.JsonpMixin, HardenedMixin):
    pass


class IFrameMixin(legacy.IFrameMixin, HardenedMixin):
    pass


def _over_limit(handler):
    """True (after answering 413) when a posted body is over what a message may take framed.

    :class:`~.gate.RequestGate` refuses these on their headers already; this
    covers an ``Application`` served without the gate.
    """
    if len(handler.request.body) <= body_limit(handler.request.path):
        return False
    stats.counters.dropped += 1
    logger.warning(
        "%s body of %d bytes over the limit from %s",
        handler.request.path.rsplit("/", 1)[-1],
        len(handler.request.body),
        handler.request.remote_ip,
    )
    handler.preflight()
    handler.set_status(413)
    handler.finish("message too large\n")
    return True


class SendMixin(KeepContentTypeOn204, HardenedMixin):
    async def post(self, session_id):
        if _over_limit(self):
            return
        await _wait_for_room(self, session_id)
        try:
            decoded = json.loads(self.request.body)
        except (ValueError, RecursionError):
            return super().post(session_id)  # sockjs-tornado answers 500 "Broken JSON encoding."
        messages = only_strings(decoded, self.request.remote_ip)
        if messages is not decoded:
            self.request.body = json.dumps(messages).encode()
        return super().post(session_id)


class JsonpSendMixin(legacy.JsonpSendMixin, HardenedMixin):
    async def post(self, session_id):
        if _over_limit(self):
            return
        await _wait_for_room(self, session_id)
        return super().post(session_id)


class WebSocketBaseMixin(HardenedMixin):
    def _execute(self, transforms, *args, **kwargs):
        """A good upgrade skips sockjs-tornado's ``_execute`` (a ``gen.coroutine``).

        That wrapper only checks the method and the Upgrade/Connection headers,
        but its generator, runner and futures stay alive as long as the
        websocket (about 1 KB a connection). Anything else still gets the
        library's answers (405, 400).
        """
        request = self.request
        if (
            request.method == "GET"
            and request.headers.get("Upgrade", "").lower() == "websocket"
            and "upgrade" in [part.strip().lower() for part in request.headers.get("Connection", "").split(",")]
        ):
            return WebSocketHandler._execute(self, transforms, *args, **kwargs)
        return super()._execute(transforms, *args, **kwargs)

    def _detach_stream(self):
        """Tornado's, without replacing seven methods by instance attributes.

        Those grew every websocket handler's ``__dict__`` by about 1.5 KB for
        the connection's life (the benchmark's memory profile); after
        ``detach()`` the handler is finished, so ``write``/``finish`` raise
        anyway.
        """
        return self.detach()

    def check_origin(self, origin):
        return origin_allowed(origin, handshake_environ(self.request))

    def finish(self, chunk=None):
        if self.get_status() == 405:  # the protocol's 405: an Allow header, no body, no type
            self.clear_header("Content-Type")
            chunk = None
        return super().finish(chunk)


def room(session):
    """None, or a future that resolves once ``session``'s receivers are down to LOW_WATER.

    Every way a client's messages come in awaits it before taking more
    (:class:`~.workers.SerialQueue`): backpressure, never a cut-off.
    """
    socket = getattr(getattr(session, "conn", None), "socket", None)
    queue = getattr(socket, "queue", None)
    return queue.room() if queue is not None else None


async def _wait_for_room(handler, session_id):
    """Before a send POST's messages are taken: wait while the session's receivers are behind.

    The POST stays unanswered meanwhile, and a SockJS client sends the next
    one only after this one's answer: TCP-like backpressure over polling.
    """
    session = handler.server.get_session(session_id)
    waiting = room(session) if session is not None else None
    if waiting is not None:
        await waiting


class RawWebSocketMixin(WebSocketBaseMixin):
    def on_message(self, message):
        super().on_message(message)
        return room(self.session)  # backpressure, as on the SockJS websocket

    def session_closed(self):
        code, reason = self.session.get_close_reason() if self.session is not None else (1000, "")
        if not (code == 1000 or 3000 <= code <= 4999 or (1001 <= code <= 1014 and code not in (1004, 1005, 1006))):
            code = 1000  # SockJS-only codes (2010) are not valid websocket close codes
        try:
            self.close(code, str(reason).encode("utf-8")[:123].decode("utf-8", "ignore"))
        except OSError:
            pass
        finally:
            self._detach()


class WebSocketMixin(WebSocketBaseMixin):
    def on_message(self, message):
        if not message or not self.session:
            return
        try:
            decoded = json.loads(message)
        except (ValueError, RecursionError):  # not JSON, or nested past the recursion limit
            stats.counters.dropped += 1
            logger.warning("malformed SockJS websocket frame from %s (broken JSON); closing", self.request.remote_ip)
            self.abort_connection()  # the protocol's answer: close abruptly
            return
        try:
            self.session.on_messages(only_strings(decoded, self.request.remote_ip))
        except Exception:
            logger.exception("the connection's on_message failed; closing")
            self.abort_connection()
            return None
        # Backpressure: while the socket's receivers are behind, tornado reads
        # no more frames from this client (it awaits what on_message returns).
        return room(self.session)


MIXINS = {
    transports.XhrSendHandler: SendMixin,
    transports.JSONPSendHandler: JsonpSendMixin,
    transports.JSONPTransport: JsonpMixin,
    transports.HtmlFileTransport: HtmlFileMixin,
    transports.EventSourceTransport: EventSourceMixin,
    transports.XhrStreamingTransport: StreamingMixin,
    static.IFrameHandler: IFrameMixin,
}


def only_strings(decoded, peer):
    """The SockJS messages of a decoded frame or body: strings only, as the protocol says.

    sockjs-tornado hands any JSON value to the connection (a plain
    ``SockJSConnection`` then fails on it with a traceback) and, over
    ``xhr_send``, raises on a body that is not an array. A lone value counts
    as one message; what is not a string is dropped, with one log line.
    Found by ``test_sockjs_fuzz``.
    """
    messages = decoded if isinstance(decoded, list) else [decoded]
    strings = [message for message in messages if isinstance(message, str)]
    if len(strings) == len(messages):
        return decoded if isinstance(decoded, list) else strings
    stats.counters.dropped += 1
    logger.warning("dropped %d SockJS message(s) from %s: a message is a string", len(messages) - len(strings), peer)
    return strings


def log_request(handler):
    """tornado's access log, but the SockJS protocol's 500s are WARNING lines, not ERROR.

    The protocol answers a client's bad polling request with 500 ("Broken JSON
    encoding.", "Payload expected.", no callback): the client's fault, one
    line. A handler that really fails logs its own traceback as well.
    """
    status = handler.get_status()
    if status < 400:
        log = access_log.info
    elif status < 500 or isinstance(handler, pollingbase.PollingTransportBase):
        log = access_log.warning
    else:
        log = access_log.error
    request = handler.request
    elapsed = 1000 * request.request_time()
    log("%d %s %.100s (%s) %.2fms", status, request.method, request.uri, request.remote_ip, elapsed)


_cache = {}


def harden(cls):
    """The hardened subclass of one of sockjs-tornado's handler classes."""
    if cls not in _cache:
        if issubclass(cls, transports.WebSocketTransport):
            mixin = WebSocketMixin
        elif issubclass(cls, SockJSWebSocketHandler):
            mixin = RawWebSocketMixin
        else:
            mixin = next((m for base, m in MIXINS.items() if issubclass(cls, base)), HardenedMixin)
        _cache[cls] = type(cls.__name__, (mixin, cls), {})
    return _cache[cls]


class HealthHandler(RequestHandler):
    """``GET /healthz``, answered by tornado itself (with or without ``--django``)."""

    def get(self):
        self.set_header("Cache-Control", NO_CACHE)
        self.write({"status": "ok", "transport": "sockjs", "connections": len(connected_sockets)})
