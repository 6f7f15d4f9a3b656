"""sockjs-tornado's request handlers, hardened (without patching the library).

Every handler a router mounts is replaced by a subclass mixing in:

* the Origin check (``realtime.origins.origin_allowed``) on every request,
  websocket or polling: sockjs-tornado allows ``*`` and echoes any Origin
  with ``Access-Control-Allow-Credentials: true``;
* ``Cache-Control: no-transform`` on every response, so compressing proxies
  do not buffer the streaming transports;
* a body size limit on ``xhr_send`` (413), next to the per-message limit the
  connection applies;
* websocket frames that are not JSON: one log line and a close, instead of
  sockjs-tornado's traceback.

The ``jsonp`` and ``htmlfile`` transports are never mounted: both echo the
``c`` callback parameter into a script unvalidated.
"""

import json
import logging

from sockjs.tornado import transports
from sockjs.tornado.websocket import SockJSWebSocketHandler
from tornado.web import RequestHandler

from realtime import conf, stats
from realtime.origins import origin_allowed
from realtime.registry import connected_sockets

logger = logging.getLogger("realtime")

NO_CACHE = "no-store, no-cache, no-transform, must-revalidate, max-age=0"


class HardenedMixin:
    logged = False  # sockjs-tornado's InfoHandler never sets it, and finish() reads it

    def prepare(self):
        origin = self.request.headers.get("Origin")
        if origin and not origin_allowed(origin):
            stats.counters.refused += 1
            logger.warning("refused SockJS request from origin %r (see REALTIME_ALLOWED_ORIGINS)", origin[:100])
            self.set_status(403)
            self.finish("origin not allowed\n")
            return None
        return super().prepare()

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


class RawWebSocketMixin(HardenedMixin):
    def check_origin(self, origin):
        return origin_allowed(origin)


class WebSocketMixin(RawWebSocketMixin):
    def on_message(self, message):
        if not message or not self.session:
            return
        try:
            decoded = json.loads(message)
        except ValueError:
            stats.counters.dropped += 1
            logger.warning("malformed SockJS websocket frame from %s; closing", self.request.remote_ip)
            self.session.close(1002, "malformed frame")
            return
        self.session.on_messages(decoded if isinstance(decoded, list) else (decoded,))
        # Backpressure: while the socket's receivers are behind, tornado reads
        # no more frames from this client (it awaits what on_message returns).
        socket = getattr(getattr(self.session, "conn", None), "socket", None)
        queue = getattr(socket, "queue", None)
        return queue.room() if queue is not None else None


class SendMixin(HardenedMixin):
    def post(self, session_id):
        limit = conf.max_message_bytes() + 1024
        if len(self.request.body) > limit:
            stats.counters.dropped += 1
            logger.warning(
                "xhr_send body of %d bytes over the limit from %s", len(self.request.body), self.request.remote_ip
            )
            self.preflight()
            self.set_status(413)
            self.finish("message too large\n")
            return
        return super().post(session_id)


_cache = {}


def harden(cls):
    """The hardened subclass of one of sockjs-tornado's handler classes."""
    if cls not in _cache:
        if issubclass(cls, transports.WebSocketTransport):
            mixin = WebSocketMixin
        elif issubclass(cls, SockJSWebSocketHandler):
            mixin = RawWebSocketMixin
        elif cls is transports.XhrSendHandler:
            mixin = SendMixin
        else:
            mixin = HardenedMixin
        _cache[cls] = type(cls.__name__, (mixin, cls), {})
    return _cache[cls]


class HealthHandler(RequestHandler):
    """``GET /healthz``, answered by tornado itself (with or without ``--django``)."""

    def get(self):
        self.set_header("Cache-Control", NO_CACHE)
        self.write({"status": "ok", "transport": "sockjs", "connections": len(connected_sockets)})
