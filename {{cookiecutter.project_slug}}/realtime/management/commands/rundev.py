"""``manage.py rundev [addr:port] [--reload]``: every chosen transport on one address, for development.

One command, no other service: with Socket.IO (alone or with SockJS) the site and
Socket.IO are served by ``rungevent`` on the given port; with SockJS too, a
``runsocket`` child serves SockJS on the next port and the pages are told to
connect there (``REALTIME_SOCKJS_URL``); with SockJS alone, ``runsocket
--django --static`` serves everything. The children are separate processes,
joined by the local bus (``realtime.bus.local``: Unix sockets, no server)
unless a networked bus is configured (``REALTIME_BUS_BACKEND``), so a
Socket.IO client and a SockJS client share rooms.

``--reload`` (what ``make run`` passes) restarts the children when a project
file changes (:mod:`realtime.devwatch`). The watcher is this process, which
never re-imports the project's code, so a syntax or import error only stops
the children: they print its traceback, rundev waits, and the servers come
back once the file is fixed; open pages reconnect by themselves. Without
``--reload``, a child that exits stops the others and rundev exits with its
status. ``manage.py`` runs this command even while an app cannot be imported
(see :func:`main`), as Django does for ``runserver``.

The children log one line per HTTP request and per socket connect/disconnect
(``REALTIME_DEV_LOG=1``, :mod:`realtime.devlog`). A busy port is reported in
one sentence before anything starts. Ctrl-C or SIGTERM stops every child.
"""

import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from realtime import conf, transports

STOP_TIMEOUT = 10
POLL_SECONDS = 0.5
#: An editor's save can be several writes: wait this long for the last before restarting.
SETTLE_SECONDS = 0.3


def plan(chosen, address, port):
    """The child commands (argv tails after ``manage.py``) and extra env for the chosen transports.

    Each transport's command comes from its catalog entry
    (:mod:`realtime.transports.catalog`). The first in the catalog's order
    serves the site on ``port``; each other one listens on the next port, and
    the pages are told where (its ``url_setting``).
    """
    chosen = list(chosen)
    known = transports.names()
    if not chosen or set(chosen) - set(known):
        raise CommandError(f"REALTIME_TRANSPORTS must list {' and/or '.join(map(repr, known))} (got {chosen!r}).")
    ordered = [name for name in known if name in chosen]
    children = [transports.argv(ordered[0], address, port, site=True)]
    env = {}
    for offset, name in enumerate(ordered[1:], start=1):
        children.append(transports.argv(name, address, port + offset))
        env[transports.entry(name)["url_setting"]] = transports.url(name, f"http://{address}:{port + offset}")
    if len(children) > 1:
        if conf.get("REALTIME_ALLOWED_ORIGINS") is None:
            # The pages (port) connect to the others on the next ports: other origins, allowed by name.
            env["REALTIME_ALLOWED_ORIGINS"] = ",".join(dev_origins(address, *range(port, port + len(children))))
        if conf.bus_backend() is None:
            # Several processes: join them with the local bus so every transport shares rooms.
            env["REALTIME_BUS_BACKEND"] = "realtime.bus.local.LocalBus"
            env["REALTIME_LOCAL_BUS_DIR"] = tempfile.mkdtemp(prefix="realtime-bus-")
    return children, env


def dev_origins(address, *ports):
    """The origins of rundev's pages on ``ports``; a loopback address also under its other names."""
    names = [address]
    if address in ("127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0", ""):
        names = ["127.0.0.1", "localhost", "[::1]"]
    return [f"http://{name}:{port}" for port in ports for name in names]


def port_in_use(address, port):
    """True if a server already listens there (bound as the servers bind: SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise CommandError(f"Cannot listen on {address}:{port} ({exc.strerror}): pick another address.") from None
    return False


def busy_port_sentence(address, port, ports_needed):
    """One sentence naming the busy port and a free one to use instead, or None if all are free."""
    for offset in range(ports_needed):
        if port_in_use(address, port + offset):
            what = "" if offset == 0 else f" (SockJS: rundev serves it on the port after {port})"
            free = next(
                (p for p in range(port + 2, min(port + 200, 65535)) if not any(
                    port_in_use(address, p + i) for i in range(ports_needed))),
                None,
            )
            fix = f"make run PORT={free}, or manage.py rundev {address}:{free}" if free else "another port"
            return (
                f"Port {port + offset} on {address} is already in use{what}: stop the server using it "
                f"(another rundev?) or choose another port: {fix}."
            )
    return None


def main(argv):
    """``manage.py rundev``, called by ``manage.py`` before Django's command machinery.

    ``django.setup()`` imports every app, so a syntax error in a receiver
    would make ``manage.py`` itself fail before any command runs. Like
    ``runserver``, rundev must start anyway and wait for the fix: it needs
    settings only, not apps. The error is not printed here: the servers it
    starts import the same code and print the traceback themselves.
    """
    import django
    from django.core.management.base import CommandParser, handle_default_options

    # --settings and --pythonpath act before setup, as in Django's ManagementUtility.
    early = CommandParser(add_help=False, allow_abbrev=False)
    early.add_argument("--settings")
    early.add_argument("--pythonpath")
    handle_default_options(early.parse_known_args(argv[2:])[0])
    try:
        django.setup()
    except Exception:
        pass  # shown by the children, see above
    Command().run_from_argv(argv)


class Command(BaseCommand):
    help = "Serve the site and every transport in REALTIME_TRANSPORTS on one address (development)."
    # The servers it starts run the checks; rundev itself may start while the code is broken.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="address:port (127.0.0.1:8000)")
        parser.add_argument(
            "--reload", action="store_true", help="restart the servers when a project file changes (make run)"
        )

    def handle(self, *args, addrport, reload, **options):
        address, _, port = addrport.rpartition(":")
        address = address or "127.0.0.1"
        if not port.isdigit() or not 0 < int(port) < 65535:
            raise CommandError(f"{addrport!r} is not address:port, e.g. 127.0.0.1:8000.")
        port = int(port)
        conf.check_all()
        children, extra_env = plan(conf.transports(), address, port)
        busy = busy_port_sentence(address, port, len(children))
        if busy:
            raise CommandError(busy)
        env = {**os.environ, **extra_env, "REALTIME_DEV_LOG": "1"}
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        watcher = None
        if reload:
            from realtime.devwatch import CodeWatcher

            watcher = CodeWatcher(settings.BASE_DIR)
        processes = []
        status = 0
        try:
            while not stopping:
                first = not processes
                processes = [self.start(argv, env) for argv in children]
                if first:
                    self.stdout.write(f"rundev: open http://{address}:{port}/ (Ctrl-C stops)")
                event, detail = self.watch(processes, stopping, watcher)
                self.terminate(processes)
                if event == "stopped":
                    break
                if event == "exited":
                    name, code = detail
                    if watcher is None:
                        self.stderr.write(f"rundev: {name} exited with status {code}; stopping the others.")
                        status = code or 1
                        break
                    self.stderr.write(
                        f"rundev: {name} exited with status {code}: fix the error above, "
                        "the servers restart when a file changes."
                    )
                    detail = self.wait_for_change(watcher, stopping)
                    if detail is None:
                        break
                self.stdout.write(f"rundev: {', '.join(detail[:3])}{' ...' if len(detail) > 3 else ''} changed, "
                                  "restarting")
        finally:
            self.terminate(processes)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if status:
            sys.exit(status)

    def start(self, argv, env):
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *argv]
        self.stdout.write(f"rundev: {' '.join(argv)}")
        # Own session: a terminal's Ctrl-C reaches rundev only, which stops each child once.
        return subprocess.Popen(command, env=env, start_new_session=True)

    def watch(self, processes, stopping, watcher):
        """Until a signal ("stopped"), a child's exit ("exited", (name, status)) or a change ("changed", paths)."""
        while not stopping:
            for process in processes:
                code = process.poll()
                if code is not None:
                    return "exited", (process.args[2], code)
            if watcher is not None:
                changed = self.settled(watcher)
                if changed:
                    return "changed", changed
            time.sleep(POLL_SECONDS)
        return "stopped", None

    def wait_for_change(self, watcher, stopping):
        while not stopping:
            changed = self.settled(watcher)
            if changed:
                return changed
            time.sleep(POLL_SECONDS)
        return None

    @staticmethod
    def settled(watcher):
        changed = watcher.changed()
        if changed:
            time.sleep(SETTLE_SECONDS)
            changed = sorted(set(changed) | set(watcher.changed()))
        return changed

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

