"""The websocket handlers (SockJS-framed and raw): cheaper upgrades, strict frames, right closes.

Kept apart from the polling mixins because a websocket lives for the whole
connection: what sockjs-tornado keeps per websocket is memory per connection
(the upgrade's coroutine, tornado's detached-stream attributes), a frame that
is not JSON closes the connection abruptly with one log line (no traceback),
a non-GET request gets the protocol's bare 405, the raw websocket's close
carries the session's code and reason, and every message waits for
:func:`.messages.room` (backpressure).
"""

import json
import logging

from tornado.websocket import WebSocketHandler

from realtime import stats
from realtime.origins import origin_allowed
from realtime.transports.sockjs.hardened import HardenedMixin, handshake_environ
from realtime.transports.sockjs.messages import only_strings, room

logger = logging.getLogger("realtime")


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
