"""The servers the benchmark compares, how each is started, and what each needs installed.

Ours run from a baked project (the richest combination, with the realtime test
app's ``join``/``to_room``/``echo`` receivers: no nickname, no database write
per message). The bare libraries run from the same Python, so their versions
are exactly the ones the project uses. Django Channels gets its own venv
(``bench/.venv``) and the Node socket.io server its own npm directory
(``bench/.cache/node``): both installed here on first use.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PEERS = BENCH / "peers"
CHANNELS_VENV = BENCH / ".venv"
NODE_DIR = BENCH / ".cache" / "node"
CHANNELS_REQUIREMENTS = ["channels>=4,<5", "daphne>=4,<5", "channels-redis>=4,<5"]
NODE_SOCKETIO = "socket.io@4"


@dataclass(frozen=True)
class Kind:
    """One row family of the table: which server, which bus, how many processes."""

    name: str
    proto: str  # the load generator's wire protocol
    family: str  # "ours-socketio", "ours-sockjs", "bare-socketio", "bare-sockjs", "channels", "node"
    redis: bool = False
    processes: int = 1
    label: str = ""
    bare: str | None = None  # the row this one is compared with


KINDS = {
    k.name: k
    for k in [
        Kind("rungevent-memory", "eio", "ours-socketio", label="`rungevent`, memory bus", bare="socketio-bare"),
        Kind("rungevent-redis", "eio", "ours-socketio", True, label="`rungevent`, Redis bus",
             bare="socketio-bare-redis"),
        Kind("rungevent-redis-x2", "eio", "ours-socketio", True, 2, "`rungevent` x2, Redis bus",
             bare="socketio-bare-redis"),
        Kind("runsocket-memory", "sockjs-realtime", "ours-sockjs", label="`runsocket`, memory bus", bare="sockjs-bare"),
        Kind("runsocket-redis", "sockjs-realtime", "ours-sockjs", True, label="`runsocket`, Redis bus",
             bare="sockjs-bare"),
        Kind("runsocket-redis-x2", "sockjs-realtime", "ours-sockjs", True, 2, "`runsocket` x2, Redis bus",
             bare="sockjs-bare"),
        Kind("socketio-bare", "eio", "bare-socketio", label="bare python-socketio (gevent-websocket)"),
        Kind("socketio-bare-redis", "eio", "bare-socketio", True, label="bare python-socketio + RedisManager"),
        Kind("sockjs-bare", "sockjs-plain", "bare-sockjs", label="bare sockjs-tornado broadcast"),
        Kind("channels", "ws-plain", "channels", True, label="Django Channels (daphne, channels-redis pub/sub)"),
        Kind("node-socketio", "eio", "node", label="Node socket.io"),
    ]
}
DEFAULT_KINDS = list(KINDS)
SMOKE_KINDS = [k for k in KINDS if k.startswith(("rungevent", "runsocket", "socketio-bare", "sockjs-bare"))]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- installs -----------------------------------------------------------------------------------


def ensure_channels():
    """``bench/.venv`` with Channels, daphne and channels-redis at this venv's Django version."""
    python = CHANNELS_VENV / "bin" / "python"
    marker = CHANNELS_VENV / ".installed"
    from importlib.metadata import version

    wanted = CHANNELS_REQUIREMENTS + [f"Django=={version('Django')}"]
    if marker.exists() and marker.read_text() == json.dumps(wanted):
        return python
    print(f"bench: installing {', '.join(wanted)} into {CHANNELS_VENV}", file=sys.stderr, flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(CHANNELS_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted], check=True)
    marker.write_text(json.dumps(wanted))
    return python


def ensure_node_socketio():
    """``socket.io`` 4 from the npm registry into ``bench/.cache/node``; returns its node_modules."""
    modules = NODE_DIR / "node_modules"
    if (modules / "socket.io" / "package.json").exists():
        return modules
    print(f"bench: npm install {NODE_SOCKETIO} into {NODE_DIR}", file=sys.stderr, flush=True)
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    (NODE_DIR / "package.json").write_text('{"name": "bench-peers", "private": true}\n')
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", NODE_SOCKETIO],
                   cwd=NODE_DIR, check=True)
    return modules


def versions(kinds):
    """Package versions of every server in this run, for the table's header."""
    from importlib.metadata import version

    names = ["Django", "python-socketio", "python-engineio", "gevent", "gevent-websocket", "sockjs-tornado",
             "tornado", "redis"]
    found = {name: version(name) for name in names}
    found["Python"] = sys.version.split()[0]
    found["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if any(KINDS[k].family == "channels" for k in kinds):
        script = "from importlib.metadata import version as v; print(v('channels'), v('daphne'), v('channels-redis'))"
        out = subprocess.run([str(CHANNELS_VENV / "bin" / "python"), "-c", script], capture_output=True, text=True)
        found["channels"], found["daphne"], found["channels-redis"] = out.stdout.split()
    if any(KINDS[k].family == "node" for k in kinds):
        package = NODE_DIR / "node_modules" / "socket.io" / "package.json"
        found["socket.io (Node)"] = json.loads(package.read_text())["version"]
    return found


# -- running servers --------------------------------------------------------------------------


@dataclass
class Started:
    kind: Kind
    ports: list = field(default_factory=list)
    processes: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    prefix: str = ""

    @property
    def pids(self):
        return [p.pid for p in self.processes]

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for log in self.logs:
            log.close()


class Launcher:
    """Starts one row's server processes, pinned with ``taskset`` to the server CPUs."""

    def __init__(self, project, env, redis_url, server_cpus, log_dir):
        self.project, self.env, self.redis_url = project, env, redis_url
        self.server_cpus, self.log_dir = server_cpus, Path(log_dir)

    def command(self, kind, port, prefix):
        env = dict(self.env)
        if kind.family.startswith("ours"):
            env.update(REDIS_URL=self.redis_url if kind.redis else "", REALTIME_CHANNEL_PREFIX=prefix)
            if kind.family == "ours-socketio":
                return [sys.executable, "manage.py", "rungevent", f"127.0.0.1:{port}"], self.project, env
            return [sys.executable, "manage.py", "runsocket", "--port", str(port)], self.project, env
        if kind.family == "bare-socketio":
            redis = ["--redis", self.redis_url, "--channel", prefix] if kind.redis else []
            return [sys.executable, str(PEERS / "socketio_bare.py"), "--port", str(port), *redis], PEERS, env
        if kind.family == "bare-sockjs":
            return [sys.executable, str(PEERS / "sockjs_bare.py"), "--port", str(port)], PEERS, env
        if kind.family == "channels":
            env.update(REDIS_URL=self.redis_url, CHANNEL_PREFIX=prefix, PYTHONPATH=str(PEERS),
                       DJANGO_SETTINGS_MODULE="channels_chat.settings")
            daphne = [str(CHANNELS_VENV / "bin" / "python"), "-m", "daphne"]
            return [*daphne, "-b", "127.0.0.1", "-p", str(port), "channels_chat.asgi:application"], PEERS, env
        if kind.family == "node":
            env.update(NODE_PATH=str(NODE_DIR / "node_modules"))
            return ["node", str(PEERS / "socketio_node.js"), str(port)], PEERS, env
        raise ValueError(kind.family)

    def start(self, kind):
        started = Started(kind, prefix=f"bench-{uuid.uuid4().hex[:8]}")
        try:
            for i in range(kind.processes):
                port = free_port()
                argv, cwd, env = self.command(kind, port, started.prefix)
                cpu = self.server_cpus[i % len(self.server_cpus)]
                log = open(self.log_dir / f"{kind.name}-{port}.log", "wb")
                started.logs.append(log)
                started.processes.append(subprocess.Popen(
                    ["taskset", "-c", str(cpu), *argv], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                ))
                started.ports.append(port)
            for process, port, log in zip(started.processes, started.ports, started.logs):
                wait_ready(process, port, Path(log.name))
            if kind.redis:
                time.sleep(0.5)  # the processes' subscriptions are in place
        except BaseException:
            started.stop()
            raise
        return started


def wait_ready(process, port, log_path, timeout=60):
    """Until an HTTP request to the port gets any answer (our servers: ``/healthz``)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (a 404 on the bare servers)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer on port {port} in {timeout} s:\n"
                                   f"{log_path.read_text()[-3000:]}") from None
            time.sleep(0.2)
