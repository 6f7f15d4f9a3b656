"""One WSGI app for ``rungevent``: Socket.IO at its path, Django for the rest.

Requests under ``/<REALTIME_SOCKETIO_PATH>/`` go to the Socket.IO server
after two checks that must happen before a connection exists:

* the ``Origin`` (``realtime.origins``): a page on another site must not open
  a socket carrying our users' cookies; refused with 403 and one log line;
* the handshake's query, as the Engine.IO protocol says: a missing or
  unknown ``transport``, a method other than GET/POST/OPTIONS or an unknown
  ``sid`` get ``400``;
* a long-polling POST: over ``REALTIME_MAX_MESSAGE_BYTES`` or malformed, it
  closes the session (the client reconnects); answered at once, logged once.

A client that asks for ``Connection: close`` gets that header back, so it
does not reuse a socket the server is about to close (gevent's server closes
without saying so).
"""

import io
import logging
from urllib.parse import parse_qs

from realtime import conf, stats
from realtime.origins import origin_allowed
from realtime.transports.socketio import compat
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
        if environ.get("HTTP_CONNECTION", "").lower() == "close":
            start_response = _closing(start_response)
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
        return self._check_handshake(environ)

    def _check_handshake(self, environ):
        """``(status, reason)`` for a request the Engine.IO protocol answers 400, else None.

        python-engineio takes a missing ``transport`` as polling and answers
        other methods 405; the protocol (and the Node server) say 400.
        """
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "POST", "OPTIONS"):
            return "400 Bad Request", f"method {method} is not part of Engine.IO: use GET, POST or OPTIONS"
        if method == "OPTIONS":
            return None
        query = parse_qs(environ.get("QUERY_STRING", ""))
        transport = query.get("transport", [None])[0]
        if transport not in ("polling", "websocket"):
            return "400 Bad Request", "transport must be polling or websocket"
        sid = query.get("sid", [None])[0]
        if sid is None and method == "POST":  # engineio would log "Invalid session None" at ERROR
            return "400 Bad Request", "a POST belongs to a session: add the sid of an open session"
        if sid is None and query.get("EIO") != ["4"]:
            return "400 Bad Request", "unsupported protocol version: EIO=4 (Socket.IO 3+ clients) is required"
        if sid is not None and not compat.session_open(self.server.eio, sid):
            return "400 Bad Request", "unknown or closed session: open a new one"
        return None

    def _check_post(self, environ):
        """A long-polling POST: over-size or malformed closes the session.

        Engine.IO itself would answer both by closing the session and then
        holding the request until the client polls again; here the request
        is answered at once, with one log line.
        """
        peer = environ.get("REMOTE_ADDR", "?")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
        if length < 0 or length > self.max_bytes:
            stats.counters.dropped += 1
            logger.warning(
                "closing polling session from %s: POST of %d bytes is over REALTIME_MAX_MESSAGE_BYTES (%d)",
                peer,
                length,
                self.max_bytes,
            )
            compat.close_session(self.server.eio, sid)  # the pending or next poll gets CLOSE
            return "413 Content Too Large", "message too large"
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        problem = payload_problem(body)
        if problem is not None and compat.session_open(self.server.eio, sid):
            stats.counters.dropped += 1
            logger.warning(
                "closing polling session %s from %s: malformed Engine.IO payload: %s (%.60r)", sid, peer, problem, body
            )
            compat.close_session(self.server.eio, sid)  # the pending or next poll gets CLOSE
            return "400 Bad Request", "malformed payload"
        return None


def _closing(start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("Connection", "close")], exc_info)

    return start


def _plain(start_response, status, text):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
