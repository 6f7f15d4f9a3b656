"""``SocketIOTransport``: Socket.IO on gevent, put together in one place.

``manage.py rungevent`` parses its arguments, patches the standard library
and calls :meth:`SocketIOTransport.serve`; everything else is here: the
python-socketio server, the WSGI app in front of it (``/socket.io/``,
``/healthz``, Django), the adapter, the bus on gevent, and a graceful stop.
Importing this module imports no library.
"""

import logging
import os
import signal

from realtime.transports.base import Transport

logger = logging.getLogger("realtime")

#: Seconds connections get to close on SIGTERM before the server stops anyway.
SHUTDOWN_GRACE = 3
#: Seconds the events already read get to finish (and answer their acks) on SIGTERM.
DRAIN_SECONDS = 2


class SocketIOTransport(Transport):
    """python-socketio (Engine.IO v4 / Socket.IO v5) on gevent's pywsgi."""

    name = "socketio"

    @property
    def socket_class(self):
        from realtime.transports.socketio.socket import SocketIOSocket

        return SocketIOSocket

    @property
    def adapter_class(self):
        from realtime.transports.socketio.adapter import SocketIOAdapter

        return SocketIOAdapter

    @property
    def client_class(self):
        from realtime.testing.socketio import SocketIOTestClient

        return SocketIOTestClient

    def serve(self, address, port, serve_static=False):
        """Serve Django and Socket.IO on ``address:port`` until SIGTERM/SIGINT.

        The standard library must already be patched by gevent (``rungevent``
        does it first). ``OSError`` if it cannot listen.
        """
        import gevent
        from gevent.pywsgi import WSGIServer

        from realtime import conf, delivery
        from realtime.bus import get_bus
        from realtime.gcfreeze import freeze_startup_objects
        from realtime.transports.socketio.handler import RealtimeWebSocketHandler
        from realtime.transports.socketio.server import RealtimeSocketIOServer, build_app

        conf.check_all()
        # gevent records each greenlet's spawner and spawn stack for its debugging
        # tools; a server spawning short-lived writers per client kept ~2.5 KB of that
        # per idle connection (the benchmark's memory profile).
        gevent.config.track_greenlet_tree = False
        sio = RealtimeSocketIOServer()
        django_app = None
        if serve_static:
            from django.contrib.staticfiles.handlers import StaticFilesHandler
            from django.core.wsgi import get_wsgi_application

            django_app = StaticFilesHandler(get_wsgi_application())
        app = build_app(sio, django_app)
        server = WSGIServer(
            (address, port),
            app,
            handler_class=RealtimeWebSocketHandler,
            log=None,  # no access log: long-polling would write a line per poll
            error_log=logging.getLogger("realtime.gevent"),
        )
        server.init_socket()  # OSError before anything else starts
        adapter = self.adapter_class(sio)
        delivery.register_adapter(adapter)
        bus = get_bus()
        bus.start(runtime=self.runtime)
        stopping = []

        def shutdown(signum=None, frame=None):
            if stopping:
                return
            stopping.append(True)
            logger.info("rungevent: shutting down, telling %d connection(s) to reconnect", len(sio.eio.sockets))
            sio.drain_events(DRAIN_SECONDS)  # in-flight events finish: their acks go out before the close
            sio.close_all()
            server.stop(timeout=SHUTDOWN_GRACE)

        gevent.signal_handler(signal.SIGTERM, shutdown)
        gevent.signal_handler(signal.SIGINT, shutdown)
        logger.info(
            "rungevent: serving Django and Socket.IO (/%s/) on http://%s:%d/ (pid %d)",
            conf.socketio_path(),
            address,
            port,
            os.getpid(),
        )
        freeze_startup_objects()
        try:
            server.serve_forever()
        finally:
            delivery.unregister_adapter(adapter)
            try:
                sio.shutdown()
                bus.close()
            except Exception:
                logger.exception("rungevent: error while shutting down")
            logger.info("rungevent: stopped")
