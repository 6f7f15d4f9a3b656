"""``manage.py rundev``: every chosen transport on one address, for development.

One command, no other service: with Socket.IO (alone or with SockJS) the site and
Socket.IO are served by ``rungevent`` on the given port; with SockJS too, a
``runsocket`` child serves SockJS on the next port and the pages are told to
connect there (``REALTIME_SOCKJS_URL``); with SockJS alone, ``runsocket
--django --static`` serves everything. The children are separate processes,
joined by the local bus (``realtime.bus.local``: Unix sockets, no server)
unless a networked bus is configured (``REALTIME_BUS_BACKEND``), so a
Socket.IO client and a SockJS client share rooms.

Ctrl-C or SIGTERM stops every child; if one child dies, the others are
stopped too and the command exits with the child's status.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from realtime import conf

STOP_TIMEOUT = 10


def plan(transports, address, port, reload=False):
    """The child commands (argv tails after ``manage.py``) and extra env for the given transports."""
    transports = list(transports)
    unknown = set(transports) - {"socketio", "sockjs"}
    if unknown or not transports:
        raise CommandError(f"REALTIME_TRANSPORTS must list 'socketio' and/or 'sockjs' (got {transports!r}).")
    reload_args = ["--reload"] if reload else []
    if "socketio" not in transports:
        return [["runsocket", "--port", str(port), "--address", address, "--django", "--static", *reload_args]], {}
    children = [["rungevent", f"{address}:{port}", *reload_args]]
    env = {}
    if "sockjs" in transports:
        children.append(["runsocket", "--port", str(port + 1), "--address", address, *reload_args])
        env["REALTIME_SOCKJS_URL"] = f"http://{address}:{port + 1}{conf.sockjs_prefix()}"
        if getattr(settings, "REALTIME_ALLOWED_ORIGINS", None) is None:
            # The pages (port) connect to SockJS on port + 1: another origin, allowed by name.
            env["REALTIME_ALLOWED_ORIGINS"] = ",".join(dev_origins(address, port, port + 1))
        if conf.bus_backend() is None:
            # Two processes: join them with the local bus so both transports share rooms.
            env["REALTIME_BUS_BACKEND"] = "realtime.bus.local.LocalBus"
            env["REALTIME_LOCAL_BUS_DIR"] = tempfile.mkdtemp(prefix="realtime-bus-")
    return children, env


def dev_origins(address, *ports):
    """The origins of rundev's pages on ``ports``; a loopback address also under its other names."""
    names = [address]
    if address in ("127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0", ""):
        names = ["127.0.0.1", "localhost", "[::1]"]
    return [f"http://{name}:{port}" for port in ports for name in names]


class Command(BaseCommand):
    help = "Serve the site and every transport in REALTIME_TRANSPORTS on one address (development)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="address:port (127.0.0.1:8000)")
        parser.add_argument("--reload", action="store_true", help="restart the servers when code changes")

    def handle(self, *args, addrport, reload, **options):
        address, _, port = addrport.rpartition(":")
        address = address or "127.0.0.1"
        if not port.isdigit() or not 0 < int(port) < 65535:
            raise CommandError(f"{addrport!r} is not address:port, e.g. 127.0.0.1:8000.")
        conf.check_all()
        children, extra_env = plan(getattr(settings, "REALTIME_TRANSPORTS", ["socketio"]), address, int(port), reload)
        env = {**os.environ, **extra_env}
        processes = []
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for argv in children:
                command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *argv]
                self.stdout.write(f"rundev: {' '.join(argv)}")
                # Own session: a terminal's Ctrl-C reaches rundev only, which stops each child once.
                processes.append(subprocess.Popen(command, env=env, start_new_session=True))
            self.stdout.write(f"rundev: open http://{address}:{port}/ (Ctrl-C stops)")
            status = self.watch(processes, stopping)
        finally:
            self.terminate(processes)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if status:
            sys.exit(status)

    def watch(self, processes, stopping):
        """Wait until a signal arrives (exit 0) or a child exits (its status)."""
        while not stopping:
            for process in processes:
                code = process.poll()
                if code is not None:
                    self.stderr.write(f"rundev: {process.args[2]} exited with status {code}; stopping the others.")
                    return code or 1
            time.sleep(0.2)
        return 0

    def terminate(self, processes):
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
