"""Production, for real: bake the richest project and run it the way the README says.

The project (both transports, supervised Redis, chat and ping/pong, supervisor,
HAProxy, two processes per transport) is baked on free ports, migrated, its
static files collected, and started with ``supervisord -c deploy/supervisor.conf``
from its root. Then, through the HAProxy port only (issue 7's acceptance):

1. every program reaches RUNNING and HAProxy reports every server up;
2. pages load; 50 Socket.IO clients (websocket and polling) and 50 SockJS
   clients (websocket and xhr-polling) join one chat room and every message
   reaches all 100, across all four socket processes, and polling clients stay
   on their process (no "invalid session");
3. ``kill -9`` of one Socket.IO and one SockJS process while messages flow:
   supervisor restarts them, their clients reconnect through HAProxy and the
   chat's recovery delivers every message; lost messages are counted (zero);
4. a foreign ``Origin`` is refused on both transports (the public one is not);
5. ``supervisorctl stop all`` stops everything within the stop timeouts
   (gracefully: nothing needs SIGKILL) and no process is left behind;
6. HAProxy's log holds no polling session id, and nothing the stack wrote
   under ``var/`` (nor ``.env``, nor the SQLite file) is readable by others.

It is one test, not six: the phases share one running stack, which must
not be started twice when pytest-xdist spreads tests over workers.
Every process it started is stopped in ``finally``, even on failure.

A second stack runs the way a real site does, over TLS (a self-signed
certificate made with openssl), and takes the attacks of the security issue
(``production_attacks.py``): slow request bodies, an anonymous Redis client,
the stats page without a login; python-socketio, a SockJS client and
Chromium connect over https and wss. ``deploy/run`` refusing DEBUG and a
supervised Redis without a password is checked without starting a stack.
"""

import importlib.util
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import engineio.payload
import pytest
import requests
import socketio
import websocket

from tests.conftest import bake, child_env
from tests.production_attacks import (
    WssSockJS,
    dotenv_values,
    make_certificate,
    open_to_others,
    redis_answer,
    request_from,
    slow_body_attack,
    timed_get,
    tls_client_context,
)

ROOM = "ops"
SOCKETIO_CLIENTS = 50
SOCKJS_CLIENTS = 50
PROCESSES = 2
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")

pytestmark = pytest.mark.timeout(400)

# python-engineio's client refuses a polling response of more than 16 packets ("Unexpected
# packet from server, aborting") and reconnects; a busy room queues more than that between two
# polls (100 joins make 100 presence events). Browsers' socket.io-client has no such limit.
engineio.payload.Payload.max_decode_packets = 10_000


class _Recorder(logging.Handler):
    """Keeps python-engineio's client warnings (why a client dropped), for failure messages."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(f"{time.strftime('%X')} {record.getMessage()}"[:300])


ENGINEIO_WARNINGS = _Recorder()
ENGINEIO_LOG = logging.getLogger("tests.production.engineio")
ENGINEIO_LOG.addHandler(ENGINEIO_WARNINGS)
ENGINEIO_LOG.setLevel(logging.WARNING)
ENGINEIO_LOG.propagate = False


# -- ports and binaries ---------------------------------------------------------------
def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def pick_ports():
    """A public port and an internal base whose every derived port is free."""
    offsets = [0, 99, 379] + [100 + i for i in range(PROCESSES)] + [200 + i for i in range(PROCESSES)]
    rng = random.Random()
    for _ in range(200):
        # below the kernel's ephemeral range (32768+), where clients' own ports come from
        base = rng.randrange(20000, 32000)
        public = rng.randrange(10000, 19999)
        if port_free(public) and port_free(public + 1) and all(port_free(base + o) for o in offsets):
            return public, base  # public + 1: the plain-HTTP port that redirects to TLS
    raise RuntimeError("no free port range found")


def which(name):
    path = os.environ.get("PATH", "") + os.pathsep + os.pathsep.join(SBIN)
    found = shutil.which(name, path=path)
    if not found:
        pytest.fail(f"{name} is not installed: apt-get install {name} (CI's .ci/run does)")
    return found


# -- the running stack --------------------------------------------------------------------
class Stack:
    """The baked project, its environment, and helpers to look at its processes."""

    def __init__(self, project, public, base, env, ca_file=None):
        self.project = project
        self.public, self.base, self.env = public, base, env
        self.ca_file = ca_file  # set: HAProxy speaks TLS with this certificate
        self.url = f"{'https' if ca_file else 'http'}://127.0.0.1:{public}"
        self.conf = str(project / "deploy" / "supervisor.conf")
        self.socketio_ports = [base + 100 + i for i in range(PROCESSES)]
        self.sockjs_ports = [base + 200 + i for i in range(PROCESSES)]

    def manage(self, *args, timeout=120):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.project, env=self.env, capture_output=True, text=True, timeout=timeout,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def ctl(self, *args, check=True, timeout=60):
        result = subprocess.run(
            [sys.executable, "-m", "supervisor.supervisorctl", "-c", self.conf, *args],
            cwd=self.project, env=self.env, capture_output=True, text=True, timeout=timeout,
        )
        if check:
            assert result.returncode == 0, f"supervisorctl {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def status(self):
        """``{name: (state, pid or None)}`` from ``supervisorctl status``."""
        states = {}
        for line in self.ctl("status", check=False).splitlines():
            parts = line.split()
            if len(parts) >= 2:
                pid = re.search(r"pid (\d+)", line)
                states[parts[0]] = (parts[1], int(pid.group(1)) if pid else None)
        return states

    def haproxy_servers(self):
        """``{(backend, server): status}`` from HAProxy's runtime API (``show stat`` on var/haproxy.sock)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.project / "var" / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {
            (r["pxname"], r["svname"]): r["status"]
            for r in rows
            if r["svname"] not in ("FRONTEND", "BACKEND") and r["pxname"] != "stats"
        }

    def connections(self, port):
        """Live sockets on one internal process (its /healthz), to see the spread."""
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.loads(response.read())["connections"]

    def wait_all_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            states, servers = self.status(), {}
            try:
                servers = self.haproxy_servers()
            except OSError:
                pass
            running = states and all(state == "RUNNING" for state, _ in states.values())
            if running and servers and all(s == "UP" for s in servers.values()):
                return states, servers
            if time.monotonic() > deadline:
                raise AssertionError(f"not all up after {timeout}s: {states} {servers}\n{self.logs()}")
            time.sleep(0.5)

    def log(self, name):
        try:
            return (self.project / "var" / name).read_text(errors="replace")
        except OSError:
            return ""

    def logs(self, tail=30):
        out = []
        for path in sorted((self.project / "var").glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            out.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(out)

    def room_message_ids(self):
        out = self.manage(
            "shell", "-c",
            "from chat.models import Message\n"
            f"print(list(Message.objects.filter(room__name={ROOM!r}).order_by('id').values_list('id', flat=True)))",
        )
        return json.loads(out.strip().splitlines()[-1])


def processes_under(root):
    """PIDs whose working directory or command line is inside ``root`` (a /proc scan)."""
    root = str(root)
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == root or cwd.startswith(root + os.sep) or root in cmdline:
            found[int(entry.name)] = cmdline or "?"
    return found


@pytest.fixture
def short_tmp():
    """A short directory: supervisor's control socket path must fit AF_UNIX's 108 bytes,
    which pytest's nested tmp_path (plus an xdist worker name) can exceed."""
    path = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def stack(short_tmp):
    """The richest project under supervisord and HAProxy, over plain HTTP."""
    yield from run_stack(short_tmp, tls=False)


@pytest.fixture
def tls_stack(short_tmp):
    """The same, over TLS: production's own HTTPS defaults, a self-signed certificate."""
    yield from run_stack(short_tmp, tls=True)


def run_stack(short_tmp, tls, database="sqlite", extra_env=None):
    """Bake, migrate and start the stack (SQLite here; tests/test_production_postgres.py: PostgreSQL)."""
    which("haproxy")
    which("redis-server")
    public, base = pick_ports()
    project = bake(
        short_tmp / "out",
        project_name="Ops Site",
        transport="both",
        redis="supervised",
        database=database,
        include_chat_example=True,
        include_pingpong_example=True,
        use_supervisor=True,
        use_haproxy=True,
        socket_processes=PROCESSES,
        public_port=public,
        internal_port_base=base,
    ).resolve()
    env = child_env(
        # deploy/run uses $PYTHON: the interpreter running these tests (its venv has everything).
        PYTHON=sys.executable,
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", ""), *SBIN]),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WEB_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
    )
    for name in ("TLS_CERT_FILE", "HTTP_REDIRECT_PORT", "REDIS_PASSWORD", "HAPROXY_STATS_USER",
                 "HAPROXY_STATS_PASSWORD", "SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS"):
        env.pop(name, None)  # the baked .env decides, not the shell running the tests
    ca_file = None
    if tls:
        ca_file = make_certificate(short_tmp)
        env.update(
            TLS_CERT_FILE=str(ca_file),
            HTTP_REDIRECT_PORT=str(public + 1),
            CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{public},https://localhost:{public}",
        )
    else:
        # Plain HTTP on loopback: turn off production's HTTPS-only defaults.
        env.update(SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false", CSRF_COOKIE_SECURE="false",
                   SECURE_HSTS_SECONDS="0")
    env.update(extra_env or {})
    stack = Stack(project, public, base, env, ca_file=ca_file)
    stack.manage("migrate", "--noinput")
    stack.manage("collectstatic", "--noinput")
    stack.manage("shell", "-c", f"from chat.models import Room; Room.objects.get_or_create(name={ROOM!r})")
    started = subprocess.run(
        [sys.executable, "-m", "supervisor.supervisord", "-c", stack.conf],
        cwd=project, env=env, capture_output=True, text=True, timeout=30,
    )
    try:
        assert started.returncode == 0, f"supervisord did not start: {started.stdout}{started.stderr}"
        yield stack
    finally:
        if (project / "var" / "supervisor.sock").exists():
            stack.ctl("shutdown", check=False)
        deadline = time.monotonic() + 30
        while processes_under(project) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in processes_under(project):  # a failed test must not leave servers behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# -- chat members that reconnect and catch up, like the chat page ---------------------------
class Member:
    """What every member keeps: the ids of the messages it has, and how it got them."""

    def __init__(self, nickname):
        self.nickname = nickname
        self.ids = set()
        self.duplicates = 0
        self.reconnects = 0
        self.errors = []
        self.sid = None
        self.afters = []  # the `after` of each rejoin: the highest id seen when the connection dropped
        self.joined = threading.Event()
        self.lock = threading.Lock()

    def add(self, message):
        with self.lock:
            if message["id"] in self.ids:
                self.duplicates += 1
            self.ids.add(message["id"])

    def last_id(self):
        with self.lock:
            return max(self.ids) if self.ids else None

    def join_payload(self):
        """What the chat page sends on (re)join: the last id seen and the ids of its recent messages."""
        with self.lock:
            after = max(self.ids) if self.ids else None
            have = sorted(self.ids)[-100:]
        if after is not None:
            self.afters.append(after)
        return {"room": ROOM, "nickname": self.nickname, "after": after, "have": have, "previous": self.sid}

    def join_answer(self, answer, sid=None):
        if answer and answer.get("ok"):
            self.sid = sid  # sent as `previous` on the next join, as the chat page does
            for message in answer["messages"]:
                self.add(message)
            self.joined.set()
            return True
        self.errors.append(answer)
        return False


class SocketIOMember(Member):
    """python-socketio's client, reconnecting on its own; each (re)connect (re)joins."""

    def __init__(self, url, transport, nickname):
        super().__init__(nickname)
        self.transport = transport
        # request_timeout: python-engineio gives up on a polling POST after 5s by default (a
        # browser does not), which a freshly started stack on a busy 2-core machine can exceed.
        self.client = socketio.Client(
            reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2, randomization_factor=0.5,
            request_timeout=30, engineio_logger=ENGINEIO_LOG,
        )
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", self._on_disconnect)
        self.client.on("chat:message", self.add)
        self.connects = 0
        self.disconnect_reasons = []
        self.client.connect(url, transports=[transport], wait_timeout=15)

    def _on_connect(self):
        self.connects += 1
        self.reconnects = self.connects - 1
        self._join()

    def _on_disconnect(self, *reason):
        self.joined.clear()
        self.disconnect_reasons.append((time.strftime("%X"), reason))

    def _join(self, tries=40):
        """Join (again); a refusal while the nickname looks taken, or no answer at all, is retried."""
        self.attempt = attempt = getattr(self, "attempt", 0) + 1

        def answered(answer=None):
            joined_now = self.join_answer(answer, self.client.get_sid())
            if not joined_now and answer and answer.get("error") == "nickname_taken" and tries:
                # `previous` lets the chat ignore this member's own dead connection; should the
                # nickname still look taken, the presence entry expires (REALTIME_PRESENCE_TTL).
                threading.Timer(1, self._join, kwargs={"tries": tries - 1}).start()

        def unanswered():
            if attempt == self.attempt and not self.joined.is_set() and self.client.connected and tries:
                self._join(tries - 1)

        try:
            self.client.emit("chat:join", self.join_payload(), callback=answered)
        except Exception as exc:
            self.errors.append(repr(exc))
        threading.Timer(15, unanswered).start()

    def say(self, text):
        return self.client.call("chat:message", {"room": ROOM, "text": text}, timeout=SAY_TIMEOUT)

    def close(self):
        self.client.disconnect()


class SockJSMember(Member):
    """The project's own SockJSTestClient, replaced by a new session when its session dies."""

    def __init__(self, client_class, url, transport, nickname):
        super().__init__(nickname)
        self.client_class, self.url, self.transport = client_class, url, transport
        self.clients = []
        self.closing = False
        self._connect()
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    @property
    def client(self):
        return self.clients[-1]

    def _connect(self):
        """A new session that joins the room, or an exception (the session is then closed)."""
        client = self.client_class(self.url, transport=self.transport, timeout=15)
        if not client.connected:
            raise ConnectionError(f"SockJS refused: {client.connect_error}")
        self.clients.append(client)
        try:
            for _ in range(40):
                answer = client.emit("chat:join", self.join_payload(), timeout=15)
                if self.join_answer(answer, client.sid):
                    return
                if answer.get("error") != "nickname_taken":
                    break
                time.sleep(1)  # the dead process's presence entry expires (REALTIME_PRESENCE_TTL)
        except Exception:
            client.close()
            raise
        client.close()
        raise ConnectionError(f"could not join: {self.errors[-1:]}")

    def _watch(self):
        """Replace the session whenever it is closed or not joined, with a growing pause."""
        delay = 0.5
        while not self.closing:
            if self.joined.is_set() and not self.client.disconnected.wait(0.2):
                continue
            if self.closing:
                return
            self.joined.clear()
            self.client.close()
            time.sleep(delay * (0.5 + random.random()))
            try:
                self._connect()
                self.reconnects += 1
                delay = 0.5
            except Exception as exc:
                self.errors.append(repr(exc))
                delay = min(delay * 2, 2)

    def collect(self):
        for client in self.clients:
            for message in client.received("chat:message"):
                if message["id"] not in self.ids:
                    self.add(message)

    def say(self, text):
        return self.client.emit("chat:message", {"room": ROOM, "text": text}, timeout=SAY_TIMEOUT)

    def close(self):
        self.closing = True
        for client in self.clients:
            client.close()


def sockjs_client_class(project):
    """``SockJSTestClient`` from the baked project (stdlib + websocket-client, no Django needed)."""
    package = project / "realtime/testing/sockjs"  # its modules import one another relatively
    for name in [name for name in sys.modules if name.partition(".")[0] == "baked_sockjs_client"]:
        del sys.modules[name]  # another bake's
    spec = importlib.util.spec_from_file_location(
        "baked_sockjs_client", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.SockJSTestClient


def close_all(members):
    """Close every member, whatever one raises (a test's ``finally``: the first failure is the one to see)."""
    for member in members:
        try:
            member.close()
        except Exception:
            pass


def connect_members(stack, socketio=None, sockjs=None, names=("sio", "sjs")):
    """Chat members on every transport (``socketio`` Socket.IO and ``sockjs`` SockJS ones, half on
    websocket, half polling), connected 8 at a time; nicknames are ``names`` plus a number."""
    url = stack.url
    client_class = sockjs_client_class(stack.project)
    socketio = SOCKETIO_CLIENTS if socketio is None else socketio
    sockjs = SOCKJS_CLIENTS if sockjs is None else sockjs
    plans = [("socketio", "websocket" if i % 2 else "polling", f"{names[0]}{i}") for i in range(socketio)]
    plans += [("sockjs", "websocket" if i % 2 else "xhr", f"{names[1]}{i}") for i in range(sockjs)]

    def connect(plan):
        kind, transport, nickname = plan
        if kind == "socketio":
            return SocketIOMember(url, transport, nickname)
        return SockJSMember(client_class, url + "/sockjs", transport, nickname)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(connect, plans))


#: Seconds a chat line may wait for its ack: CI runs this beside other suites on 2 cores.
SAY_TIMEOUT = 15


class Chatter:
    """Sends chat lines from member after member (staying under the rate limit) until stopped."""

    def __init__(self, members, prefix, interval=0.1):
        self.members, self.prefix, self.interval = members, prefix, interval
        self.acked, self.failed, self.errors = [], 0, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        n = 0
        while not self.stopping.is_set():
            member = self.members[n % len(self.members)]
            try:
                answer = member.say(f"{self.prefix} {n}")
                if answer and answer.get("ok"):
                    self.acked.append(answer["id"])
                else:
                    self.failed += 1
                    self.errors.append(answer)
            except Exception as exc:
                self.failed += 1  # its process just died: the database says if it was stored
                self.errors.append(f"{member.nickname} ({type(member).__name__}): {exc!r}")
            n += 1
            self.stopping.wait(self.interval)

    def run_for(self, seconds):
        self.thread.start()
        time.sleep(seconds)
        self.stop()

    def stop(self):
        self.stopping.set()
        self.thread.join(SAY_TIMEOUT + 5)


def missing(members, ids, timeout):
    """Wait until every member has every id; returns {nickname: missing ids} left over."""
    wanted = set(ids)
    deadline = time.monotonic() + timeout
    while True:
        for member in members:
            if isinstance(member, SockJSMember):
                member.collect()
        lost = {m.nickname: sorted(wanted - m.ids) for m in members if wanted - m.ids}
        if not lost or time.monotonic() > deadline:
            return lost
        time.sleep(0.3)


def engineio_websocket_opens(url, origin):
    """True if an Engine.IO websocket with this ``Origin`` (one header, as a browser sends) gets its open packet.

    A refusal is a 403, or (gevent-websocket answers the upgrade before the
    application runs) a socket closed before any packet.
    """
    try:
        ws = websocket.create_connection(url, origin=origin, timeout=10)
    except websocket.WebSocketBadStatusException:
        return False
    try:
        return ws.recv().startswith("0{")
    except (websocket.WebSocketException, OSError):
        return False
    finally:
        ws.close()


def explain_losses(members, lost):
    """Why members lack messages, in particular ones the member had overtaken when it rejoined.

    Each process delivers its own messages first, so a client can get id N+1 before N;
    if its connection drops between the two, ``after`` is past N, and only ``have``
    (the ids it holds) lets the chat find N and replay it.
    """
    by_name = {m.nickname: m for m in members}
    overtaken = sum(
        1 for name, ids in lost.items() for i in ids if any(after > i for after in by_name[name].afters)
    )
    total = sum(len(ids) for ids in lost.values())
    return (
        f"{total} deliveries lost ({overtaken} of them messages the member had already overtaken when it "
        f"rejoined); e.g. "
        + "; ".join(
            f"{n} lacks {ids[:5]} (rejoined after {by_name[n].afters[-5:]}, joined now: {by_name[n].joined.is_set()}, "
            f"errors: {by_name[n].errors[-2:]})"
            for n, ids in list(lost.items())[:5]
        )
    )


def haproxy_errors(log_text):
    """Socket requests HAProxy saw answered 400 (Engine.IO "invalid session") or 404 (SockJS session unknown)."""
    return [
        line for line in log_text.splitlines()
        if re.search(r" (socketio|sockjs)/\S+ \S+ (400|404) ", line)
    ]


# -- the test --------------------------------------------------------------------------------
def test_production_stack_through_haproxy(stack):
    timings = {}

    # 1. every program RUNNING, every HAProxy server UP
    started = time.monotonic()
    states, servers = stack.wait_all_up()
    timings["all up"] = time.monotonic() - started
    expected = {"redis", "haproxy", "web"}
    expected |= {f"socketio:socketio-{p}" for p in stack.socketio_ports}
    expected |= {f"sockjs:sockjs-{p}" for p in stack.sockjs_ports}
    assert set(states) == expected
    assert len(servers) == 1 + 2 * PROCESSES, servers

    # 2a. pages load through HAProxy (and only there: everything below uses stack.url)
    # (a page that fails is reported at the end, so the realtime phases still run)
    http, page_errors = requests.Session(), []
    for path in ["/", "/chat/", f"/chat/{ROOM}/", "/pingpong/", "/admin/login/", "/healthz",
                 "/static/realtime/socket.io.min.js", "/static/realtime/sockjs.min.js", "/sockjs/info",
                 "/sockjs/mux/info"]:  # the multiplexed endpoint (one connection per page) is routed too
        response = http.get(stack.url + path, timeout=10)
        if response.status_code != 200:
            page_errors.append(f"GET {path}: {response.status_code} {response.text[:300]!r}")

    # 4. a foreign Origin is refused on both transports; the public origin is not
    public_origin, foreign = {"Origin": stack.url}, {"Origin": "http://evil.example"}
    probe = requests.get(f"{stack.url}/socket.io/?EIO=4&transport=polling", headers=foreign, timeout=10)
    assert probe.status_code in (400, 403), probe.status_code
    probe = requests.get(f"{stack.url}/socket.io/?EIO=4&transport=polling", headers=public_origin, timeout=10)
    assert probe.status_code == 200, probe.status_code
    ws_url = stack.url.replace("http:", "ws:") + "/socket.io/?EIO=4&transport=websocket"
    assert engineio_websocket_opens(ws_url, stack.url), "the public origin was refused over websocket"
    assert not engineio_websocket_opens(ws_url, "http://evil.example"), "a foreign origin opened a websocket"
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(stack.url, transports=["polling"], headers=foreign, wait_timeout=10)
    client_class = sockjs_client_class(stack.project)
    for transport in ("websocket", "xhr"):
        refused = client_class(stack.url + "/sockjs", transport=transport, headers=foreign, timeout=10)
        assert not refused.connected and refused.connect_error, transport
        refused.close()
        allowed = client_class(stack.url + "/sockjs", transport=transport, headers=public_origin, timeout=10)
        assert allowed.connected, (transport, allowed.connect_error)
        allowed.close()

    # 2b. 100 members in one room, on every socket process
    log_mark = len(stack.log("haproxy.log"))
    started = time.monotonic()
    members = connect_members(stack)
    try:
        timings["100 connected"] = time.monotonic() - started
        deadline = time.monotonic() + 30
        not_joined = [m for m in members if not m.joined.wait(max(0.1, deadline - time.monotonic()))]
        assert not not_joined, f"{len(not_joined)} members could not join: " + "; ".join(
            f"{m.nickname} ({type(m).__name__} {m.transport}, {m.reconnects} reconnects"
            f" {getattr(m, 'disconnect_reasons', '')}): {m.errors[:1]}"
            for m in not_joined[:8]
        ) + f"; engine.io client warnings: {ENGINEIO_WARNINGS.records[:10]}"
        spread = {port: stack.connections(port) for port in stack.socketio_ports + stack.sockjs_ports}
        assert all(count > 0 for count in spread.values()), f"a socket process has no clients: {spread}"

        chatter = Chatter(members, "burst")
        chatter.run_for(3)
        assert chatter.acked and not chatter.failed, (len(chatter.acked), chatter.failed, chatter.errors[:5])
        started = time.monotonic()
        lost = missing(members, chatter.acked, timeout=20)
        timings["burst delivered"] = time.monotonic() - started
        assert not lost, f"{len(lost)} members missed messages: {dict(list(lost.items())[:5])}"
        assert not any(m.reconnects for m in members), "a client reconnected while nothing failed"
        errors = haproxy_errors(stack.log("haproxy.log")[log_mark:])
        assert not errors, "sticky sessions broke:\n" + "\n".join(errors[:10])

        # 3. kill -9 one Socket.IO and one SockJS process while messages flow
        victims = [
            f"socketio:socketio-{max(stack.socketio_ports, key=stack.connections)}",
            f"sockjs:sockjs-{max(stack.sockjs_ports, key=stack.connections)}",
        ]
        before = stack.status()
        stored_before = set(stack.room_message_ids())
        # four senders, so a send stuck on a dead process does not stop the flow
        chatters = [Chatter(members[i::4], f"outage-{i}", interval=0.3) for i in range(4)]
        for chatter in chatters:
            chatter.thread.start()
        time.sleep(1)
        for name in victims:
            os.kill(before[name][1], signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(6)
        for chatter in chatters:
            chatter.stop()
        states, _ = stack.wait_all_up(timeout=60)
        timings["restarted and up"] = time.monotonic() - killed
        for name in victims:
            assert states[name][1] != before[name][1], f"{name} was not restarted"
        stored = stack.room_message_ids()
        lost = missing(members, stored, timeout=60)
        timings["recovered"] = time.monotonic() - killed
        # A line its process stored and was killed before publishing was never acknowledged (its
        # sender saw the send fail): members that reconnected re-read it from the history, the
        # others see it on their next join. Lost is what a member lacks of the acknowledged
        # lines, or of all the stored ones if it reconnected.
        unacked = set(stored) - stored_before - {i for c in chatters for i in c.acked}
        by_name = {m.nickname: m for m in members}
        unseen = {n: ids for n, ids in lost.items() if not by_name[n].reconnects and set(ids) <= unacked}
        lost = {n: ids for n, ids in lost.items() if n not in unseen}
        lost_count = sum(len(ids) for ids in lost.values())
        reconnected = sum(1 for m in members if m.reconnects)
        print(
            f"\nproduction: {len(stored)} messages stored, {sum(len(c.acked) for c in chatters)} acked during the "
            f"outage ({sum(c.failed for c in chatters)} sends failed), {reconnected} members reconnected "
            f"(killed {', '.join(victims)}), {lost_count} deliveries lost, "
            f"{sum(m.duplicates for m in members)} duplicates dropped, {len(unacked)} stored but unacknowledged "
            f"(not yet seen by {len(unseen)} members that stayed connected); timings: "
            + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
        )
        assert reconnected > 0, "killing two socket processes disconnected nobody"
        assert lost_count == 0, explain_losses(members, lost)

        # 3b. `supervisorctl restart` of the other two processes while messages flow: a graceful
        # stop (SIGTERM: clients told to reconnect), within stopwaitsecs, and still nothing lost
        others = [name for name in before if name.startswith(("socketio:", "sockjs:")) and name not in victims]
        others = [next(n for n in others if n.startswith(pool)) for pool in ("socketio:", "sockjs:")]
        log_mark = len(stack.log("supervisord.log"))
        chatters = [Chatter(members[i::4], f"restart-{i}", interval=0.3) for i in range(4)]
        for chatter in chatters:
            chatter.thread.start()
        time.sleep(1)
        started = time.monotonic()
        stack.ctl("restart", *others, timeout=120)
        timings["graceful restart"] = time.monotonic() - started
        time.sleep(3)
        for chatter in chatters:
            chatter.stop()
        stack.wait_all_up(timeout=60)
        restart_log = stack.log("supervisord.log")[log_mark:]
        assert "SIGKILL" not in restart_log, "a restarted process had to be killed:\n" + restart_log
        stored = stack.room_message_ids()
        lost = missing(members, stored, timeout=60)
        lost_count = sum(len(ids) for ids in lost.values())
        print(
            f"production: graceful restart of {', '.join(others)}: {len(stored)} messages stored, "
            f"{sum(len(c.acked) for c in chatters)} acked during the restart, {lost_count} deliveries lost; "
            f"restart took {timings['graceful restart']:.1f}s"
        )
        assert lost_count == 0, explain_losses(members, lost)
    finally:
        close_all(members)

    # 6. HAProxy logged the polling traffic without its session ids (Engine.IO's `sid=` query,
    # SockJS's /<server>/<session>/ path); nothing the stack wrote is open to other users
    haproxy_log = stack.log("haproxy.log")
    assert "/socket.io/" in haproxy_log and "/sockjs/-/-/xhr_send" in haproxy_log, haproxy_log[-2000:]
    assert "sid=" not in haproxy_log, [line for line in haproxy_log.splitlines() if "sid=" in line][:3]
    sessions = {c._session.split("/")[2] for m in members if isinstance(m, SockJSMember) for c in m.clients}
    assert len(sessions) >= SOCKJS_CLIENTS and not [sid for sid in sessions if sid in haproxy_log]
    assert_private_files(stack.project)

    # 5. stop all: within the stop timeouts, gracefully, nothing left behind
    log_mark = len(stack.log("supervisord.log"))
    started = time.monotonic()
    stack.ctl("stop", "all", timeout=120)
    stop_seconds = time.monotonic() - started
    assert all(state == "STOPPED" for state, _ in stack.status().values()), stack.status()
    assert stop_seconds < 15 + 5, f"stop all took {stop_seconds:.1f}s (stopwaitsecs is 15)"
    stopped_log = stack.log("supervisord.log")[log_mark:]
    assert "SIGKILL" not in stopped_log, "a program had to be killed:\n" + stopped_log
    stack.ctl("shutdown")
    deadline = time.monotonic() + 20
    while processes_under(stack.project) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_under(stack.project), f"orphans: {processes_under(stack.project)}"
    print(f"production: stop all took {stop_seconds:.1f}s")
    assert not page_errors, "pages failed through HAProxy:\n" + "\n".join(page_errors) + "\n" + stack.logs(10)


def assert_private_files(project):
    """var/ (0750) and what the stack wrote in it (umask 027), .env and the SQLite file (0600) are closed to others.

    supervisord opens its own log before it applies its umask (then it daemonizes): only the
    folder's mode protects that one file, when the shell's umask is the usual 022.
    """
    var = project / "var"
    assert oct(var.stat().st_mode & 0o777) == oct(0o750)
    opened = [line for line in open_to_others(var) if not line.startswith("supervisord.log ")]
    assert opened == [], "files under var/ readable by other users"
    for name in (".env", "db.sqlite3"):
        assert oct((project / name).stat().st_mode & 0o777) == oct(0o600), name


def test_production_over_tls_resists_the_attacks(tls_stack):
    """Production as deployed: TLS in HAProxy, and the security issue's attacks fail."""
    stack = tls_stack
    stack.wait_all_up()
    http = requests.Session()
    http.trust_env = False  # else REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment win over `verify`
    http.verify = str(stack.ca_file)
    origin = {"Origin": stack.url}

    # TLS 14: plain HTTP redirects to HTTPS; HSTS on Django's pages and on the socket endpoints;
    # the Socket.IO sticky cookie is Secure
    redirect = requests.get(f"http://127.0.0.1:{stack.public + 1}/chat/?a=1", allow_redirects=False, timeout=10)
    assert (redirect.status_code, redirect.headers.get("Location")) == (301, f"{stack.url}/chat/?a=1")
    for path in ("/chat/", "/socket.io/?EIO=4&transport=polling", "/sockjs/info"):
        response = http.get(stack.url + path, headers=origin, timeout=10)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
        assert response.headers.get("Strict-Transport-Security", "").startswith("max-age="), (path, response.headers)
        if path.startswith("/socket.io/"):
            cookie = response.headers.get("Set-Cookie", "")
            assert "rt_socketio=" in cookie and "secure" in cookie.lower().split("; "), cookie

    # python-socketio over wss:// and https polling, SockJS over wss://, in one room across processes
    heard = {}
    listeners = []
    for transport in ("websocket", "polling"):
        client = socketio.Client(http_session=http, reconnection=False, request_timeout=30)
        heard[transport] = []
        client.on("chat:message", heard[transport].append)
        client.connect(stack.url, transports=[transport], wait_timeout=15)  # websocket-client sends its own Origin
        answer = client.call("chat:join", {"room": ROOM, "nickname": f"tls-{transport}"}, timeout=SAY_TIMEOUT)
        assert answer and answer.get("ok"), answer
        listeners.append(client)
    sockjs = WssSockJS(stack.url, stack.ca_file, origin=stack.url)
    try:
        assert sockjs.call("chat:join", {"room": ROOM, "nickname": "tls-sockjs"}).get("ok")
        said = sockjs.call("chat:message", {"room": ROOM, "text": "over wss from sockjs"})
        assert said.get("ok"), said
        said = listeners[0].call("chat:message", {"room": ROOM, "text": "over wss from socketio"}, timeout=SAY_TIMEOUT)
        assert said.get("ok"), said
        sockjs.wait_event("chat:message", lambda m: m.get("text") == "over wss from socketio")
        wait_for(lambda: all(any(m.get("text") == "over wss from sockjs" for m in got) for got in heard.values()),
                 "the Socket.IO clients did not get the SockJS message")

        # Chromium (ignoring the test certificate) loads the chat page over https and chats over wss://
        for transport in ("socketio", "sockjs"):
            text = f"from chromium over {transport}"
            sockets = browser_chat(stack, transport, text)
            wait_for(lambda text=text: any(m.get("text") == text for m in heard["websocket"]),
                     f"Chromium's {transport} message did not arrive")
            assert sockets and all(url.startswith("wss://") for url in sockets), sockets
    finally:
        sockjs.close()
        for client in listeners:
            client.disconnect()

    # High 1: twelve clients trickle 100 KB bodies into POST /chat/; HAProxy holds them (408
    # after `timeout http-request`), gunicorn never sees them, pages and health checks go on
    web_log_mark = len(stack.log("web.log"))

    def probe():
        status, seconds = timed_get(http, stack.url + "/chat/")
        return status, round(seconds, 2), stack.haproxy_servers().get(("web", "web-0"))

    senders, probes = slow_body_attack("127.0.0.1", stack.public, probe, context=tls_client_context(stack.ca_file))
    print(f"\nproduction over TLS: slow senders ended {sorted({s.outcome for s in senders})} after "
          f"{max(s.ended_after for s in senders):.1f}s; GET /chat/ took at most {max(p[1] for p in probes):.2f}s")
    assert all(status == 200 and seconds < 5 for status, seconds, _ in probes), probes
    assert all(str(web).startswith("UP") for _, _, web in probes), probes
    assert all(s.outcome.startswith("HTTP/1.1 408") or s.outcome == "closed" for s in senders), \
        [s.outcome for s in senders]
    assert max(s.ended_after for s in senders) < 10 + 8, [s.ended_after for s in senders]
    assert "WORKER TIMEOUT" not in stack.log("web.log")[web_log_mark:]

    # Medium 8: a polling session id works only from the address that used it first; replayed
    # from another one (127.0.0.2 here) HAProxy refuses it, while its owner goes on
    context = tls_client_context(stack.ca_file)
    owner, thief = "127.0.0.1", "127.0.0.2"
    status, body, headers = request_from(owner, stack.public, "GET", "/socket.io/?EIO=4&transport=polling", context)
    assert status == 200 and body.startswith("0{"), (status, body[:200])
    sid = json.loads(body[1:])["sid"]
    # the thief sends the sticky cookie too: it reaches the session's process, only its address differs
    sticky = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    poll = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    assert request_from(owner, stack.public, "POST", poll, context, body="40", headers=sticky)[0] == 200
    stolen = '42["chat:message",{"room":"ops","text":"stolen"}]'
    assert request_from(thief, stack.public, "POST", poll, context, body=stolen, headers=sticky)[0] == 403
    assert request_from(thief, stack.public, "GET", poll, context, headers=sticky)[0] == 403
    session = f"/sockjs/000/{uuid.uuid4().hex[:12]}"
    status, body, _ = request_from(owner, stack.public, "POST", f"{session}/xhr", context, headers=origin)
    assert (status, body) == (200, "o\n"), (status, body)
    frame = json.dumps([json.dumps({"type": "event", "event": "chat:leave", "args": [{"room": ROOM}]})])
    assert request_from(thief, stack.public, "POST", f"{session}/xhr_send", context, body=frame,
                        headers=origin)[0] == 403
    assert request_from(owner, stack.public, "POST", f"{session}/xhr_send", context, body=frame,
                        headers=origin)[0] == 204

    # Medium 9: the supervised Redis refuses a client without the password (no forged
    # messages, no presence), and the password is on no command line
    values = dotenv_values(stack.project)
    redis_port = stack.base + 379
    assert redis_answer(redis_port, "PING").startswith("-NOAUTH")
    assert redis_answer(redis_port, "PUBLISH", "realtime:chat:ops", "forged").startswith("-NOAUTH")
    assert redis_answer(redis_port, "KEYS", "*").startswith("-NOAUTH")
    assert redis_answer(redis_port, "PING", password=values["REDIS_PASSWORD"]) == "+PONG"
    assert not [cmd for cmd in processes_under(stack.project).values() if values["REDIS_PASSWORD"] in cmd]

    # Low 13: the stats page wants its login
    stats = f"http://127.0.0.1:{stack.base + 99}/;csv"
    assert requests.get(stats, timeout=5).status_code == 401
    assert requests.get(stats, auth=("admin", "wrong"), timeout=5).status_code == 401
    login = (values["HAPROXY_STATS_USER"], values["HAPROXY_STATS_PASSWORD"])
    assert requests.get(stats, auth=login, timeout=5).status_code == 200

    # Medium 8: session ids stay out of the log; files stay private
    haproxy_log = stack.log("haproxy.log")
    assert "/socket.io/" in haproxy_log and "/sockjs/-/-/websocket" in haproxy_log, haproxy_log[-2000:]
    assert "sid=" not in haproxy_log
    assert sockjs.session not in haproxy_log
    assert_private_files(stack.project)


def wait_for(condition, message, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def browser_chat(stack, transport, text):
    """Open the chat page in Chromium over https, join and say ``text``; returns the websocket URLs it opened."""
    from playwright.sync_api import sync_playwright

    spec = importlib.util.spec_from_file_location("baked_browser", stack.project / "realtime/testing/browser.py")
    browser_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browser_module)
    sockets = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_module.chromium_path(), args=[*browser_module.ARGS, "--ignore-certificate-errors"]
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.goto(f"{stack.url}/chat/{ROOM}/?transport={transport}")
            page.fill("#nickname", f"chromium-{transport}")
            page.click("#nick button")
            page.wait_for_selector("#text:enabled")
            page.fill("#text", text)
            page.press("#text", "Enter")
            page.wait_for_selector(f"#messages .msg .text:has-text('{text}')")
            deadline = time.monotonic() + 15
            while not sockets and time.monotonic() < deadline:  # Socket.IO upgrades from polling
                page.wait_for_timeout(200)
        finally:
            browser.close()
    return sockets


def test_deploy_run_refuses_unsafe_settings(tmp_path):
    """``deploy/run`` starts nothing with DEBUG on, nor a supervised Redis without its password."""
    # SQLite: PostgreSQL's own refusal (no DATABASE_URL) is in tests/test_production_postgres.py.
    project = bake(tmp_path / "out", redis="supervised", database="sqlite", use_supervisor=True, use_haproxy=True)
    run = [str(project / "deploy" / "run"), "true"]
    env = child_env()
    for name in ("REDIS_PASSWORD", "TLS_CERT_FILE", "HAPROXY_STATS_PASSWORD"):
        env.pop(name, None)
    # the generated .env is for `make run` (DEBUG=true): production refuses it, with the fix named
    refused = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 78 and "set DEBUG=false in .env" in refused.stderr, refused.stderr
    for value in ("1", "True", "on"):
        result = subprocess.run(run, env={**env, "DEBUG": value}, capture_output=True, text=True, timeout=30)
        assert result.returncode == 78, value
    assert subprocess.run(run, env={**env, "DEBUG": "false"}, timeout=30).returncode == 0
    # ... while Django itself still runs with DEBUG on for the demo (`make run` never uses deploy/run)
    check = subprocess.run([sys.executable, "manage.py", "check"], cwd=project, env=env, capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    # the supervised Redis needs its password
    dotenv = project / ".env"
    dotenv.write_text("".join(line for line in dotenv.read_text().splitlines(True) if "REDIS_PASSWORD" not in line))
    result = subprocess.run(run, env={**env, "DEBUG": "false"}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 78 and "REDIS_PASSWORD is not set" in result.stderr, result.stderr


@pytest.mark.parametrize("transport", ["both", "socketio", "sockjs"])
@pytest.mark.parametrize("redis", ["supervised", "external", "none"])
def test_deploy_configs_are_valid(tmp_path, transport, redis):
    """Every transport x bus: ``haproxy -c`` passes and supervisor reads the programs it should."""
    processes = 1 if redis == "none" else 3
    project = bake(tmp_path / "out", transport=transport, redis=redis, socket_processes=processes,
                   use_supervisor=True, use_haproxy=True)
    check = subprocess.run([which("haproxy"), "-c", "-f", "deploy/haproxy.cfg"], cwd=project,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # ... and with every variable deploy/run may export to it (TLS, redirect, HSTS, stats login)
    tls_env = child_env(TLS_CERT_FILE=str(make_certificate(tmp_path)), HTTP_REDIRECT_PORT="8080",
                        SECURE_HSTS_SECONDS="3600", HAPROXY_STATS_USER="admin", HAPROXY_STATS_PASSWORD="x")
    check = subprocess.run([which("haproxy"), "-c", "-f", "deploy/haproxy.cfg"], cwd=project, env=tls_env,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    haproxy = (project / "deploy" / "haproxy.cfg").read_text()
    socketio_servers = re.findall(r"server socketio-(\d+) 127\.0\.0\.1:(\d+) check cookie", haproxy)
    sockjs_servers = re.findall(r"server sockjs-(\d+) 127\.0\.0\.1:(\d+) check", haproxy)
    has_sio, has_sjs = transport in ("both", "socketio"), transport in ("both", "sockjs")
    assert [int(p) for _, p in socketio_servers] == ([9100 + i for i in range(processes)] if has_sio else [])
    assert [int(p) for _, p in sockjs_servers] == ([9200 + i for i in range(processes)] if has_sjs else [])

    from supervisor.options import ServerOptions

    options = ServerOptions()
    options.realize(["-c", str(project / "deploy" / "supervisor.conf")])
    options.process_config()
    programs = {g.name: [p.name for p in g.process_configs] for g in options.process_group_configs}
    expected = {"haproxy": ["haproxy"], "web": ["web"]}
    if redis == "supervised":
        expected["redis"] = ["redis"]
    if has_sio:
        expected["socketio"] = [f"socketio-{9100 + i}" for i in range(processes)]
    if has_sjs:
        expected["sockjs"] = [f"sockjs-{9200 + i}" for i in range(processes)]
    assert programs == expected
    for group in options.process_group_configs:
        for process in group.process_configs:
            assert process.stopsignal in (signal.SIGTERM, signal.SIGUSR1) and process.stopasgroup
            assert process.killasgroup and process.autorestart and process.stopwaitsecs <= 15
    run = (project / "deploy" / "run").read_text()
    assert ('REDIS_URL "redis://:${REDIS_PASSWORD}@127.0.0.1:9379/0"' in run) == (redis == "supervised")
    if redis == "none":
        deploy_text = "".join(p.read_text() for p in (project / "deploy").iterdir())
        assert "redis" not in deploy_text.lower()
