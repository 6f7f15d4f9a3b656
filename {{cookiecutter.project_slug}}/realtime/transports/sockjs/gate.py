"""SockJS requests checked on their headers, before tornado reads a body.

tornado reads a request's whole body (up to ``max_body_size``, 100 MB by
default) before any ``RequestHandler`` code runs, ``prepare()`` included:
the Origin check and the size limit of :mod:`.handlers` came after a 99 MB
``xhr_send`` had been buffered. :class:`RequestGate` sits between tornado's
HTTP server and the ``Application`` and looks at each request under a SockJS
prefix as soon as its headers are in:

* a disallowed ``Origin`` gets ``403``;
* a ``Content-Length`` over what a message of ``REALTIME_MAX_MESSAGE_BYTES``
  can take once framed (:func:`body_limit`) gets ``413``;

both at once, with one log line, and the connection is closed without
reading the body. Other requests under a prefix get that limit as their
connection's ``max_body_size``, so a chunked body cannot grow past it either
(tornado answers 400). Django's pages, served by the same process with
``runsocket --django``, keep tornado's default: uploads are Django's business.

It uses tornado's public HTTP interfaces only (``HTTPServerConnectionDelegate``,
``HTTPMessageDelegate``, ``HTTPConnection.write_headers/finish/set_max_body_size``);
``realtime/tests/live/test_sockjs_limits.py`` fails if tornado stops honouring them.
"""

import logging

from tornado import httputil

from realtime import conf, stats
from realtime.origins import origin_allowed
from realtime.requests import environ_from_headers

logger = logging.getLogger("realtime")

#: Bytes allowed for SockJS's framing: the ``["...", ...]`` around messages.
FRAMING_MARGIN = 1024
#: How much larger than its messages a body can honestly be: the SockJS
#: frame is a JSON array of the messages as strings, so each quote or
#: backslash doubles, and sockjs-client writes some characters as six-byte
#: ``\uXXXX`` escapes (3x their two UTF-8 bytes); ``jsonp_send``'s ``d=``
#: form body percent-encodes all that again (up to 3x).
JSON_EXPANSION = 3
FORM_EXPANSION = 3


def body_limit(path=""):
    """The largest request body a SockJS transport accepts at ``path``.

    A bound on memory, not the message limit itself: a message over
    ``REALTIME_MAX_MESSAGE_BYTES`` is refused once decoded. Sized so that no
    message within the limit is refused for the way a client encoded it.
    """
    limit = conf.max_message_bytes() * JSON_EXPANSION + FRAMING_MARGIN
    if path.split("?", 1)[0].endswith("/jsonp_send"):
        limit *= FORM_EXPANSION
    return limit


class RequestGate(httputil.HTTPServerConnectionDelegate):
    """Wraps a tornado ``Application``: ``HTTPServer(RequestGate(app, prefixes))``."""

    def __init__(self, application, prefixes):
        self.application = application
        #: Requests whose path starts with one of these (and goes on) are SockJS's.
        self.prefixes = tuple(prefix.rstrip("/") + "/" for prefix in prefixes)
        self.limit = body_limit()

    def start_request(self, server_conn, request_conn):
        return _GatedRequest(self, self.application.start_request(server_conn, request_conn), request_conn)

    def is_sockjs(self, path):
        path = path.split("?", 1)[0]
        return any(path.startswith(prefix) and len(path) > len(prefix) for prefix in self.prefixes)


class _GatedRequest(httputil.HTTPMessageDelegate):
    """One request: passed through to the application, or answered from its headers."""

    def __init__(self, gate, inner, connection):
        self.gate, self.inner, self.connection = gate, inner, connection
        self.refused = False
        self._limit = gate.limit

    def headers_received(self, start_line, headers):
        if self.gate.is_sockjs(start_line.path):
            self._limit = body_limit(start_line.path)
            refusal = self._refusal(start_line, headers)
            if refusal is not None:
                self.refused = True
                self._answer(*refusal, head=start_line.method == "HEAD")
                # tornado now discards the body until the connection closes (once the answer
                # is written); a Content-Length over its limit would add a stray "400" instead.
                self.connection.set_max_body_size(2**63)
                return None
            self.connection.set_max_body_size(self._limit)
        return self.inner.headers_received(start_line, headers)

    def _refusal(self, start_line, headers):
        """``(status, reason, text, extra headers)`` to answer with, or None to pass."""
        origin = headers.get("Origin")
        if origin and not origin_allowed(origin, self._environ(start_line, headers)):
            stats.counters.refused += 1
            logger.warning("refused SockJS request from origin %r (see REALTIME_ALLOWED_ORIGINS)", origin[:100])
            return 403, "Forbidden", "origin not allowed\n", {}
        try:
            length = int(headers.get("Content-Length") or 0)
        except ValueError:
            length = 0  # garbage or "n, n": tornado answers 400, or checks n against our max_body_size
        if length > self._limit:
            stats.counters.dropped += 1
            logger.warning(
                "refused SockJS request from %s: body of %s bytes is over %d, the most a message of "
                "REALTIME_MAX_MESSAGE_BYTES (%d) takes framed; raise that setting if messages this big are expected",
                getattr(self.connection.context, "remote_ip", "?"),
                headers.get("Content-Length", "?")[:20],
                self._limit,
                conf.max_message_bytes(),
            )
            cors = {}
            if origin:  # an allowed page's script may read why (sockjs-client closes the session)
                cors = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
            return 413, "Content Too Large", "message too large\n", cors

    def _environ(self, start_line, headers):
        context = self.connection.context
        path, _, query = start_line.path.partition("?")
        return environ_from_headers(
            path, query, dict(headers), getattr(context, "remote_ip", ""), getattr(context, "protocol", "http")
        )

    def _answer(self, status, reason, text, extra, head=False):
        """Write the response now; tornado closes the connection after it, body unread.

        A HEAD request gets the headers alone: tornado refuses a body there
        (found by ``test_sockjs_fuzz``: a traceback).
        """
        body = text.encode()
        headers = httputil.HTTPHeaders(
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Length": str(len(body)),
                "Cache-Control": "no-store",
                "Connection": "close",
                **extra,
            }
        )
        self.connection.write_headers(
            httputil.ResponseStartLine("HTTP/1.1", status, reason), headers, None if head else body
        )
        self.connection.finish()

    def data_received(self, chunk):
        if not self.refused:
            return self.inner.data_received(chunk)
        return None

    def finish(self):
        if not self.refused:
            self.inner.finish()

    def on_connection_close(self):
        if not self.refused:
            self.inner.on_connection_close()
