"""``manage.py rungevent [addr:port]``: Django and Socket.IO on one gevent server.

gevent must patch the standard library before Django, the database driver
or a bus client create their sockets and locks: the project's ``manage.py`` does it
when its first argument is ``rungevent``. Run another way (``call_command``,
another launcher), :meth:`Command.handle` patches as a fallback and warns,
since locks created before that are not gevent's. Importing this module
patches nothing, so tests and tools may import it.

One process serves many sockets on one thread: a receiver or view that
blocks without yielding to gevent stalls them all. Network I/O through the
standard library yields once patched; C database drivers may not (sqlite3
never does; psycopg2 needs ``psycogreen``), so keep their queries short.

``SIGTERM`` (``supervisorctl stop``) ends Engine.IO transports, so clients
reconnect (to another process behind the proxy, or to this one once back),
waits up to ``SHUTDOWN_GRACE`` seconds for requests in flight and exits 0.
"""

import logging
import os
import re
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger("realtime")

ADDR_PORT = re.compile(r"^(?:(?P<addr>[^:\[\]]+|\[[0-9a-fA-F:]+\]):)?(?P<port>\d+)$")
DEFAULT_ADDR = "127.0.0.1"
DEFAULT_PORT = 8000
#: Seconds connections get to close on SIGTERM before the server stops anyway.
SHUTDOWN_GRACE = 3


class Command(BaseCommand):
    help = "Serve Django and Socket.IO (/socket.io/) from one gevent server."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", help="[addr:]port, default 127.0.0.1:8000 ('0' for all interfaces)")
        parser.add_argument("--reload", action="store_true", help="restart when Python code changes (development)")
        parser.add_argument(
            "--insecure",
            action="store_true",
            help="serve static files even when DEBUG is off (as runserver --insecure)",
        )
        parser.add_argument(
            "--nostatic", action="store_true", help="never serve static files (a proxy or whitenoise does)"
        )

    def handle(self, *args, addrport=None, reload=False, insecure=False, nostatic=False, **options):
        addr, port = parse_addrport(addrport)
        from gevent import monkey

        if not monkey.is_module_patched("socket"):
            logger.warning("rungevent: gevent patched the standard library late; run it as 'manage.py rungevent'")
            monkey.patch_all()
        serve_static = not nostatic and (settings.DEBUG or insecure)
        if reload:
            from django.utils import autoreload

            autoreload.run_with_reloader(self.serve, addr, port, serve_static)
        else:
            self.serve(addr, port, serve_static)

    def serve(self, addr, port, serve_static):
        import gevent
        from gevent.pywsgi import WSGIServer

        from realtime import conf, delivery
        from realtime.bus import get_bus
        from realtime.gcfreeze import freeze_startup_objects
        from realtime.transports.socketio import RealtimeSocketIOServer, build_app
        from realtime.transports.socketio.adapter import SocketIOAdapter
        from realtime.transports.socketio.handler import RealtimeWebSocketHandler

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
        adapter = SocketIOAdapter(sio)
        delivery.register_adapter(adapter)
        bus = get_bus()
        bus.start(runtime="gevent")

        server = WSGIServer(
            (addr, port),
            app,
            handler_class=RealtimeWebSocketHandler,
            log=None,  # no access log: long-polling would write a line per poll
            error_log=logging.getLogger("realtime.gevent"),
        )
        stopping = []

        def shutdown(signum=None, frame=None):
            if stopping:
                return
            stopping.append(True)
            logger.info("rungevent: shutting down, telling %d connection(s) to reconnect", len(sio.eio.sockets))
            sio.close_all()
            server.stop(timeout=SHUTDOWN_GRACE)

        gevent.signal_handler(signal.SIGTERM, shutdown)
        gevent.signal_handler(signal.SIGINT, shutdown)
        try:
            server.init_socket()
        except OSError as exc:
            raise CommandError(f"cannot listen on {addr}:{port}: {exc}") from None
        logger.info(
            "rungevent: serving Django and Socket.IO (/%s/) on http://%s:%d/ (pid %d)",
            conf.socketio_path(),
            addr,
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


def parse_addrport(value):
    """``"8001"``, ``"0:8001"``, ``"[::1]:8001"`` -> (addr, port)."""
    if not value:
        return DEFAULT_ADDR, DEFAULT_PORT
    match = ADDR_PORT.match(value)
    if match is None:
        raise CommandError(f"{value!r} is not a port or addr:port (e.g. 8000 or 0.0.0.0:8000)")
    addr = match.group("addr") or DEFAULT_ADDR
    if addr == "0":
        addr = "0.0.0.0"
    addr = addr.strip("[]")
    port = int(match.group("port"))
    if not 0 < port < 65536:
        raise CommandError(f"port {port} is out of range")
    return addr, port
