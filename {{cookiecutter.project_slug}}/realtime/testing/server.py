"""``LiveServer``: a real socket server in a child process, for tests."""

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings

from realtime import transports
from realtime.transports import catalog


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands to outgoing connections (32768 on Linux)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int = 1) -> list[int]:
    """``count`` consecutive TCP ports on 127.0.0.1 that nobody holds right now.

    Chosen below the kernel's ephemeral range: a port from ``bind(0)`` is one
    the kernel may give to the next outgoing connection, and under a busy test
    run a client's own socket then takes the port before the server binds it.
    """
    floor = _ephemeral_floor()
    low = 20000 if floor > 20000 + 1000 else 1024
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(low, floor - count)
        if all(_bindable(first + i) for i in range(count)):
            return list(range(first, first + count))
    raise RuntimeError(f"no {count} consecutive free ports below {floor}")


def free_port() -> int:
    """A TCP port nobody listens on right now (on 127.0.0.1); see ``free_ports``."""
    return free_ports(1)[0]


def _project_root() -> Path:
    return Path(settings.BASE_DIR)


#: The command that serves each transport (from :mod:`realtime.transports.catalog`).
#: (The catalog is plain data, which mypy infers as dicts of ``object``: its entries are read as ``Any``.)
TRANSPORT_COMMANDS: dict[str, str] = {
    name: entry["command"] for name, entry in cast("dict[str, dict[str, Any]]", catalog.TRANSPORTS).items()
}


class LiveServer:
    """Run ``manage.py <command>`` on a free port until the ``with`` block ends.

    ``command``    ``"rungevent"`` or ``"runsocket"`` (or any command taking the
                   address the same way: ``addr_args`` builds its arguments).
    ``env``        extra environment (settings are read from the environment).
    ``settings``   a settings module for the child; by default the project's,
                   plus ``extra_apps`` (e.g. a test app with receivers) and the
                   apps listed in ``REALTIME_TEST_EXTRA_APPS`` (comma-separated).
    ``database``   an SQLite file shared with the test (created and migrated);
                   by default a fresh one in a temporary directory.

    ``url`` is ``http://127.0.0.1:<port>``; ``log()`` returns what the server
    printed, for assertions on log lines.
    """

    def __init__(
        self,
        command: str = "rungevent",
        *,
        args: Iterable[str] = (),
        env: dict[str, str] | None = None,
        extra_apps: Iterable[str] = (),
        database: str | None = None,
        port: int | None = None,
        timeout: float = 20,
    ) -> None:
        self.command = command
        #: "socketio" or "sockjs" (None for another command): what ``client()`` speaks.
        self.transport = {c: t for t, c in TRANSPORT_COMMANDS.items()}.get(command)
        self.args = list(args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.timeout = timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="realtime-live-")
        self.database = database or os.path.join(self._tmp.name, "db.sqlite3")
        self.env = dict(os.environ)
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "realtime.testing.settings",
                "REALTIME_TEST_BASE_SETTINGS": os.environ.get("DJANGO_SETTINGS_MODULE", ""),
                # Apps a whole test session adds (its conftest sets the variable), then this server's.
                "REALTIME_TEST_EXTRA_APPS": ",".join(
                    [a for a in os.environ.get("REALTIME_TEST_EXTRA_APPS", "").split(",") if a] + list(extra_apps)
                ),
                "DATABASE_URL": f"sqlite:///{self.database}",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.env.update(env or {})
        self._log_path = os.path.join(self._tmp.name, "server.log")
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @classmethod
    def for_transport(cls, transport: str, **kwargs: Any) -> "LiveServer":
        """The server of ``transport`` (``"socketio"``: rungevent, ``"sockjs"``: runsocket)."""
        if transport not in TRANSPORT_COMMANDS:
            raise ValueError(f"transport is one of {sorted(TRANSPORT_COMMANDS)}, not {transport!r}")
        return cls(TRANSPORT_COMMANDS[transport], **kwargs)

    def client(self, query: str = "", **kwargs: Any) -> Any:
        """A wire client of this server's transport (``SocketIOTestClient`` or ``SockJSTestClient``).

        ``query`` (``"?refuse=1"``) reaches ``request.GET`` on the server.
        """
        if self.transport is None:
            raise ValueError(f"{self.command} serves no transport this knows a client for")
        transport = transports.get(self.transport)
        return transport.client_class(transport.url(self.url) + query, **kwargs)

    # -- lifecycle --------------------------------------------------------------
    def __enter__(self) -> "LiveServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def addr_args(self) -> list[str]:
        if self.transport is not None:
            return transports.argv(self.transport, "127.0.0.1", self.port)[1:]
        return [f"127.0.0.1:{self.port}"]

    def manage(self, *args: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess[str]:
        """Run another ``manage.py`` command with the server's settings and database."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=_project_root(),
            env=self.env,
            check=check,
            capture_output=capture,
            text=True,
            timeout=120,
        )

    def start(self) -> "LiveServer":
        if not os.path.exists(self.database):
            self.manage("migrate", "--noinput")
        self._log = open(self._log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", self.command, *self.addr_args(), *self.args],
            cwd=_project_root(),
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        assert self.process is not None, "start() the server first"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command} exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.command} did not answer /healthz in {self.timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self._log is not None:
            self._log.close()

    def restart(self) -> None:
        """Stop and start again on the same port and database (clients reconnect)."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        try:
            return Path(self._log_path).read_text(errors="replace")
        except OSError:
            return ""

    # -- users --------------------------------------------------------------------
    def login(self, username: str, password: str = "pw", **fields: Any) -> dict[str, str]:
        """Create (or reuse) a user and a logged-in session; returns the cookie dict."""
        script = (
            "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY\n"
            "from django.conf import settings\n"
            "from importlib import import_module\n"
            "import json, sys\n"
            "a = json.loads(sys.argv[-1])\n"
            "U = get_user_model()\n"
            "u, _ = U.objects.get_or_create(username=a['username'], defaults=a['fields'])\n"
            "if _ or not u.check_password(a['password']):\n"  # a new password would close u's sockets
            "    u.set_password(a['password']); u.save()\n"
            "s = import_module(settings.SESSION_ENGINE).SessionStore()\n"
            "s[SESSION_KEY] = str(u.pk)\n"
            "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
            "s[HASH_SESSION_KEY] = u.get_session_auth_hash()\n"
            "s.save()\n"
            "print(json.dumps({settings.SESSION_COOKIE_NAME: s.session_key}))\n"
        )
        import json

        payload = json.dumps({"username": username, "password": password, "fields": fields})
        result = self.manage("shell", "-c", script.replace("sys.argv[-1]", repr(payload)))
        return json.loads(result.stdout.strip().splitlines()[-1])
