"""One WSGI app for ``rungevent``: Socket.IO at its path, Django for the rest.

Requests under ``/<REALTIME_SOCKETIO_PATH>/`` go to the Socket.IO server
after two checks that must happen before a connection exists:

* the ``Origin`` (``realtime.origins``): a page on another site must not open
  a socket carrying our users' cookies; refused with 403 and one log line;
* a long-polling POST: over ``REALTIME_MAX_MESSAGE_BYTES`` it closes the
  session (the client reconnects); malformed packets are dropped. Both are
  answered at once and logged once.
"""

import io
import logging
from urllib.parse import parse_qs

from realtime import conf, stats
from realtime.origins import origin_allowed
from realtime.transports.socketio.guard import payload_problem

logger = logging.getLogger("realtime")


class RealtimeWSGIApp:
    def __init__(self, server, django_app):
        self.server = server
        self.django_app = django_app
        self.prefix = "/" + conf.socketio_path() + "/"
        self.max_bytes = conf.max_message_bytes()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not (path + "/").startswith(self.prefix):
            return self.django_app(environ, start_response)
        refusal = self.refusal(environ)
        if refusal is not None:
            return _plain(start_response, *refusal)
        if environ.get("REQUEST_METHOD") == "POST":
            refusal = self._check_post(environ)
            if refusal is not None:
                return _plain(start_response, *refusal)
        return self.server.handle_request(environ, start_response)

    def refusal(self, environ):
        """``(status, reason)`` if this request may not reach Socket.IO, else None.

        Also called by :class:`~.handler.RealtimeWebSocketHandler` before a
        websocket upgrade, so a refused browser gets a real HTTP status.
        """
        if not (environ.get("PATH_INFO", "") + "/").startswith(self.prefix):
            return "404 Not Found", f"websockets are served at {self.prefix} only"
        origin = environ.get("HTTP_ORIGIN")
        if origin and not origin_allowed(origin, environ):
            stats.counters.refused += 1
            logger.warning(
                "refused Socket.IO connection from origin %r (not this site's origin: see REALTIME_ALLOWED_ORIGINS)",
                origin[:200],
            )
            return "403 Forbidden", "origin not allowed"
        return None

    def _check_post(self, environ):
        """A long-polling POST: over-size closes the session, malformed is dropped.

        Engine.IO itself would answer both by closing the session and then
        holding the request until the client polls again; here the request
        is answered at once, with one log line.
        """
        peer = environ.get("REMOTE_ADDR", "?")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > self.max_bytes:
            stats.counters.dropped += 1
            logger.warning(
                "closing polling session from %s: POST of %d bytes is over REALTIME_MAX_MESSAGE_BYTES (%d)",
                peer,
                length,
                self.max_bytes,
            )
            sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
            session = self.server.eio.sockets.get(sid)
            if session is not None:
                session.close(wait=False, abort=False)  # the next poll gets CLOSE
            return "413 Content Too Large", "message too large"
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        problem = payload_problem(body)
        if problem is not None:
            stats.counters.dropped += 1
            logger.warning("dropped malformed Engine.IO payload from %s: %s (%.60r)", peer, problem, body)
            return "400 Bad Request", "malformed payload"
        return None


def _plain(start_response, status, text):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
