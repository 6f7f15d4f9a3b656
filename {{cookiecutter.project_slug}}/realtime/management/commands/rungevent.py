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
never does), so keep their queries short (the README's Database section says
which driver waits green).

``SIGTERM`` (``supervisorctl stop``) lets the events already read finish
(their acks go out; later ones are not run), then ends Engine.IO transports, so clients
reconnect (to another process behind the proxy, or to this one once back),
waits up to ``transport.SHUTDOWN_GRACE`` seconds for requests in flight and exits 0.

The server itself is put together by
:class:`realtime.transports.socketio.transport.SocketIOTransport`; this
command only parses its arguments, patches and reloads.
"""

import logging
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger("realtime")

ADDR_PORT = re.compile(r"^(?:(?P<addr>[^:\[\]]+|\[[0-9a-fA-F:]+\]):)?(?P<port>\d+)$")
DEFAULT_ADDR = "127.0.0.1"
DEFAULT_PORT = 8000


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
        from realtime.transports import get

        try:
            get("socketio").serve(addr, port, serve_static=serve_static)
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {addr}:{port}: {exc}; stop what uses it or choose another port"
            ) from None


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
