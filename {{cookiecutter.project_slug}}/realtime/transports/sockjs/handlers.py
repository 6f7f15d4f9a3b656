"""sockjs-tornado's request handlers, hardened and made to follow the protocol (without patching the library).

Every handler a router mounts is replaced by :func:`harden`'s subclass of
it, mixing in:

* :mod:`.hardened`: the Origin check (``realtime.origins.origin_allowed``)
  on every request, websocket or polling, and CORS headers as the reference
  server sends them for an allowed origin (``Access-Control-Allow-Origin``
  echoing it, with credentials; ``*`` without credentials when no Origin was
  sent); sockjs-tornado itself allows and echoes any Origin;
  ``Cache-Control: no-store, no-cache, no-transform, must-revalidate,
  max-age=0`` on every session response, so neither caches nor compressing
  proxies keep or buffer them; EventSource says ``text/event-stream``
  without a charset; a streaming response to an HTTP/1.0 client is closed
  after its last frame (tornado keeps such a connection open when the client
  asked for keep-alive, so the client never sees the end of the body);
* :mod:`.sending`: ``xhr_send``'s 204 keeps ``Content-Type: text/plain``,
  and a body size limit (413) and backpressure on the send POSTs;
* :mod:`.websocket_handlers`: a non-GET request to a websocket URL gets 405
  with no body; a websocket frame that is not JSON closes the connection
  abruptly with one log line (no traceback); the raw websocket's close
  carries the session's code and reason;
* :mod:`.messages`: messages that are not strings (websocket, ``xhr_send``,
  ``jsonp_send``) are dropped with one log line, where sockjs-tornado passed
  them on (a plain ``SockJSConnection`` failed on them) or raised on a body
  not an array;
* :mod:`.legacy`: jsonp, jsonp_send, htmlfile and the iframe page.

This module keeps what the server and routers use (:func:`harden`,
:func:`log_request`: the protocol's 500s for a client's bad request are
WARNING lines in tornado's access log, not ERROR; :class:`HealthHandler`)
and re-exports the mixins' names, so imports from here keep working.
"""

from sockjs.tornado import static, transports
from sockjs.tornado.transports import pollingbase
from sockjs.tornado.websocket import SockJSWebSocketHandler
from tornado.log import access_log
from tornado.web import RequestHandler

from realtime.registry import connected_sockets
from realtime.transports.sockjs.hardened import (
    NO_CACHE,
    EventSourceMixin,
    HardenedMixin,
    HtmlFileMixin,
    IFrameMixin,
    JsonpMixin,
    StreamingMixin,
    handshake_environ,
)
from realtime.transports.sockjs.messages import only_strings, room
from realtime.transports.sockjs.sending import JsonpSendMixin, SendMixin
from realtime.transports.sockjs.websocket_handlers import RawWebSocketMixin, WebSocketBaseMixin, WebSocketMixin

__all__ = [
    "NO_CACHE",
    "EventSourceMixin",
    "HardenedMixin",
    "HealthHandler",
    "HtmlFileMixin",
    "IFrameMixin",
    "JsonpMixin",
    "JsonpSendMixin",
    "MIXINS",
    "RawWebSocketMixin",
    "SendMixin",
    "StreamingMixin",
    "WebSocketBaseMixin",
    "WebSocketMixin",
    "handshake_environ",
    "harden",
    "log_request",
    "only_strings",
    "room",
]

MIXINS = {
    transports.XhrSendHandler: SendMixin,
    transports.JSONPSendHandler: JsonpSendMixin,
    transports.JSONPTransport: JsonpMixin,
    transports.HtmlFileTransport: HtmlFileMixin,
    transports.EventSourceTransport: EventSourceMixin,
    transports.XhrStreamingTransport: StreamingMixin,
    static.IFrameHandler: IFrameMixin,
}


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
