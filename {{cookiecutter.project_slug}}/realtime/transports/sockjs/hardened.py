"""The base every hardened SockJS handler mixes in: Origin check, CORS and caching headers.

sockjs-tornado allows and echoes any Origin and leaves caching to chance;
:class:`HardenedMixin` checks the Origin (``realtime.origins.origin_allowed``)
on every request, websocket or polling, answers CORS as the reference server
does, and sends ``Cache-Control: no-store, no-cache, no-transform,
must-revalidate, max-age=0`` on every session response, so neither caches
nor compressing proxies keep or buffer them. The streaming mixins here fix
what only streaming responses get wrong (HTTP/1.0 clients, EventSource's
content type); :func:`.handlers.harden` picks the mixin for each handler.
"""

import logging

from realtime import stats
from realtime.origins import origin_allowed
from realtime.requests import environ_from_headers
from realtime.transports.sockjs import legacy

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
