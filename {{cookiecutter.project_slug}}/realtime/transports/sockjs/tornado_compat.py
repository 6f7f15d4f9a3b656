"""Every reach-in into tornado's internals, in one place.

``test_sockjs_unit`` checks each against the installed tornado and fails
loudly, naming this file, if an upgrade moves one.

``KeepContentTypeOn204``: tornado removes ``Content-Type`` from every 204
response (``RequestHandler._clear_representation_headers``); the SockJS
protocol wants ``xhr_send``'s 204 to say ``text/plain`` (Firefox otherwise
parses the empty body as XML and logs an error).

:func:`write_buffer_empty`: the adapter writes a prepared frame straight to
a websocket's socket only when nothing waits in its ``IOStream``'s buffer
(``_write_buffer``; tornado has no public way to ask), so frames keep order.
"""

from tornado.iostream import IOStream
from tornado.web import RequestHandler

#: what this module overrides (methods); the unit test checks each still exists
TORNADO_INTERNALS = (("RequestHandler", RequestHandler, "_clear_representation_headers"),)
#: what it reads on instances (set in ``__init__``); the unit test checks a fresh one
TORNADO_INSTANCE_INTERNALS = (("IOStream", IOStream, "_write_buffer"),)


class KeepContentTypeOn204:
    def _clear_representation_headers(self):
        keep = self._headers.get("Content-Type") if self.get_status() == 204 else None
        super()._clear_representation_headers()
        if keep:
            self.set_header("Content-Type", keep)


def write_buffer_empty(stream):
    """True when nothing waits in ``stream``'s write buffer (bytes written now go out in order)."""
    return not len(stream._write_buffer)
