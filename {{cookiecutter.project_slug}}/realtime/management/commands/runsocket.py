"""``manage.py runsocket``: SockJS on tornado (and Django, with ``--django``).

    python manage.py runsocket                       # SockJS on 127.0.0.1:8001
    python manage.py runsocket --port 8000 --django --static --reload   # all-in-one dev server

The default port is 8001 so it can run next to ``rungevent``/``runserver``
on 8000 (``rundev`` passes ``--port`` explicitly). ``--static`` serves
static files through Django's staticfiles handler and needs ``--django``.
SIGTERM stops it gracefully (clients are told to reconnect; exit status 0).
"""

import errno

from django.core.management.base import BaseCommand, CommandError

DEFAULT_PORT = 8001


class Command(BaseCommand):
    help = "Serve the SockJS endpoints (and Django with --django) on tornado."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}).")
        parser.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1).")
        parser.add_argument("--reload", action="store_true", help="restart when Python code changes (development).")
        parser.add_argument("--django", action="store_true", help="also serve the Django project.")
        parser.add_argument("--static", action="store_true", help="serve static files through Django (needs --django).")

    def handle(self, *args, port, address, reload, django, static, **options):
        if static and not django:
            raise CommandError("--static serves static files through Django: add --django (or serve them elsewhere).")
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535 (got {port}).")
        from realtime.transports import get

        def inner():
            try:
                get("sockjs").serve(address, port, django=django, static=static)
            except OSError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                    raise
                raise CommandError(
                    f"cannot listen on {address}:{port}: {exc.strerror}; stop what uses it or choose another --port."
                ) from None

        if reload:
            from django.utils import autoreload

            autoreload.run_with_reloader(inner)
        else:
            inner()
