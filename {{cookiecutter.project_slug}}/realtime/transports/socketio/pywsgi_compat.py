"""Every reach into gevent's internals (pywsgi, and gevent-websocket on it), in one place.

Bad HTTP gets one log line (below); the direct websocket writer finds the TCP
socket under a gevent-websocket ``WebSocket`` (:func:`tcp_socket`, the pywsgi
handler's socket) and runs callbacks on the hub (:func:`call_soon`).

gevent's WSGI server answers a malformed request with 400, but the fuzz tests
(``test_socketio_fuzz.py``) found three ways it logs more than a line:

* a request line ending in ``HTTP/9`` (no minor version) raises IndexError in
  its version check, which it prints as a traceback;
* a chunked body whose chunk-size line is empty raises a bare ValueError
  while the body is discarded after the response, logged as a server error
  with a traceback;
* a client that leaves before its 400 is written (the server answers the
  request line without reading on) makes the write raise, printed as a
  traceback;
* every refused request is written at ERROR level, a client's fault logged
  as the server's.

:class:`ClientErrorsMixin`, mixed into the websocket handler ``rungevent``
serves with, makes each of them one WARNING line on the ``realtime`` logger
and a 400. The private names it uses are listed in :data:`REQUIRED` and checked
by :func:`check_library` (``test_socketio_fuzz`` runs it): an upgrade of
gevent that renames them fails loudly.
"""

import logging

from gevent import pywsgi

from realtime import stats

logger = logging.getLogger("realtime")

REQUIRED = (
    (pywsgi.WSGIHandler, "_check_http_version"),
    (pywsgi.WSGIHandler, "_handle_client_error"),
    (pywsgi.Input, "_chunked_read"),
    (pywsgi, "_InvalidClientInput"),
    (pywsgi, "_BAD_REQUEST_RESPONSE"),
)


def tcp_socket(websocket):
    """The gevent TCP socket under a gevent-websocket ``WebSocket`` (its pywsgi handler's)."""
    return websocket.stream.handler.socket


def call_soon(callback):
    """Run ``callback()`` in this turn of the gevent loop, once the running greenlet yields."""
    import gevent

    gevent.get_hub().loop.run_callback(callback)


def check_library():
    """Raise ``RuntimeError`` naming what gevent.pywsgi no longer has."""
    missing = [f"{getattr(owner, '__name__', owner)}.{name}" for owner, name in REQUIRED if not hasattr(owner, name)]
    if missing:
        raise RuntimeError(
            f"gevent.pywsgi lacks {', '.join(missing)}: realtime/transports/socketio/pywsgi_compat.py must be "
            "updated for this gevent (or pin gevent to a version it supports)."
        )


class _Input(pywsgi.Input):
    """A request body whose malformed chunk sizes are the client's error, not a crash."""

    __slots__ = ()  # Input has slots: the same layout lets get_environ switch the class

    def _chunked_read(self, *args, **kwargs):
        try:
            return super()._chunked_read(*args, **kwargs)
        except ValueError:  # int(b"", 16): an empty chunk-size line
            self._chunked_input_error = True  # gevent then closes instead of reading on
            raise pywsgi._InvalidClientInput("malformed chunk size") from None


class ClientErrorsMixin:
    """For a ``pywsgi.WSGIHandler`` subclass: malformed requests are 400 and one WARNING line."""

    def handle(self):
        try:
            return super().handle()
        except ConnectionError:  # the 400 of a refused request met a closed connection: logged already
            return None

    def _check_http_version(self):
        try:
            return super()._check_http_version()
        except (ValueError, IndexError):  # "HTTP/9", "HTTP/x.y"
            return False

    def _handle_client_error(self, ex):
        stats.counters.dropped += 1
        message = getattr(ex, "formatted_message", None) or str(ex) or type(ex).__name__
        logger.warning("refused HTTP request from %s: %.200s", self.client_address, message)
        return ("400", pywsgi._BAD_REQUEST_RESPONSE)

    def get_environ(self):
        environ = super().get_environ()
        if type(self.wsgi_input) is pywsgi.Input:
            self.wsgi_input.__class__ = _Input
        return environ
