"""Reach-ins into tornado internals, all here (``test_sockjs_unit`` fails loudly if tornado changes).

``KeepContentTypeOn204``: tornado removes ``Content-Type`` from every 204
response (``RequestHandler._clear_representation_headers``); the SockJS
protocol wants ``xhr_send``'s 204 to say ``text/plain`` (Firefox otherwise
parses the empty body as XML and logs an error).
"""

from tornado.web import RequestHandler

#: what this module overrides; the unit test checks each still exists
TORNADO_INTERNALS = (("RequestHandler", RequestHandler, "_clear_representation_headers"),)


class KeepContentTypeOn204:
    def _clear_representation_headers(self):
        keep = self._headers.get("Content-Type") if self.get_status() == 204 else None
        super()._clear_representation_headers()
        if keep:
            self.set_header("Content-Type", keep)
