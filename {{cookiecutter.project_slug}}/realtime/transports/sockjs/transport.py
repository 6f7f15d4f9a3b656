"""``SockJSTransport``: SockJS on tornado, put together in one place.

``manage.py runsocket`` parses its arguments and calls
:meth:`SockJSTransport.serve`, which runs
:class:`realtime.transports.sockjs.server.SockJSServer` (``/healthz``, one
sockjs-tornado router per endpoint, Django with ``django=True``, the bus on
the tornado loop, a graceful stop). Importing this module imports no library.
"""

from realtime.transports.base import Transport


class SockJSTransport(Transport):
    """sockjs-tornado (SockJS protocol 0.3.3) on tornado 6; receivers run in worker threads."""

    name = "sockjs"

    @property
    def socket_class(self):
        from realtime.transports.sockjs.connection import SockJSSocket

        return SockJSSocket

    @property
    def adapter_class(self):
        from realtime.transports.sockjs.adapter import SockJSAdapter

        return SockJSAdapter

    @property
    def client_class(self):
        from realtime.testing.sockjs import SockJSTestClient

        return SockJSTestClient

    def serve(self, address, port, django=False, static=False):
        """Serve SockJS (and Django with ``django``) on ``address:port`` until SIGTERM/SIGINT."""
        from realtime.transports.sockjs.server import SockJSServer

        SockJSServer(address=address, port=port, django=django, static=static).run()
