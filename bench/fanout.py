#!/usr/bin/env python
"""Cross-process fan-out benchmark: delivered messages per second, p50/p99 latency.

Not a timed test: a script that prints figures (the README's "Performance"
section quotes its output). For each transport it runs:

* ``memory``: the in-memory bus, ONE socket process with all the clients (the
  baseline: no bus hop; the memory bus cannot reach a second process);
* ``redis``: the Redis bus, TWO socket processes of that transport with half
  the clients each; the sender is a client of the first process, so half the
  deliveries cross Redis;
* ``both`` (Redis only): one ``rungevent`` and one ``runsocket``, half the
  clients on each: the sender is a Socket.IO client, half the deliveries
  cross Redis to SockJS clients.

A sender client emits ``to_room`` (a receiver of ``realtime.tests.testapp``
calls ``realtime.emit(...)`` to the room) ``--rate`` times a second for
``--seconds``; every other client is in the room and timestamps each arrival.
Latency is arrival time minus the send time carried in the payload (same
host clock). Deliveries per second = deliveries / (last arrival - first send).

The clients are bare websockets in one asyncio loop (tornado's websocket
client), speaking Engine.IO/Socket.IO v4 or SockJS + our framing: no threads
per client, so 1,000 clients fit in one process. The load generator shares
the machine with the servers: on a small machine it is part of the result.

Usage (from the template repository; a Redis on 127.0.0.1:6379 or --redis-url)::

    python bench/fanout.py                         # bakes a project into a temp dir
    python bench/fanout.py --project /path/to/generated/project --clients 1000
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

COMMANDS = {"socketio": "rungevent", "sockjs": "runsocket"}
ROOM = "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the project and its servers ------------------------------------------------------------


def bake(out):
    """Generate a project (both transports, Redis) with cookiecutter; returns its directory."""
    repo = Path(__file__).resolve().parent.parent
    cookiecutter = shutil.which("cookiecutter") or str(Path(sys.executable).with_name("cookiecutter"))
    subprocess.run(
        [
            cookiecutter,
            str(repo),
            "--no-input",
            "-o",
            str(out),
            "transport=both",
            "redis=external",
            "project_slug=benchsite",
        ],
        check=True,
    )
    return Path(out) / "benchsite"


def settings_module(project):
    for candidate in project.iterdir():
        if (candidate / "settings.py").exists():
            return f"{candidate.name}.settings"
    raise SystemExit(f"{project}: no <package>/settings.py: not a generated project")


class Server:
    def __init__(self, project, command, env, log_dir):
        self.project, self.command = project, command
        self.port = free_port()
        self.env = env
        self.log_path = Path(log_dir) / f"{command}-{self.port}.log"
        addr = (
            ["--port", str(self.port), "--address", "127.0.0.1"]
            if command == "runsocket"
            else [f"127.0.0.1:{self.port}"]
        )
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", command, *addr],
            cwd=project,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"{command} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{command} did not start:\n{self.log_path.read_text()[-3000:]}")
                time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


# -- bare websocket clients -------------------------------------------------------------------


class Client:
    """One websocket client; ``arrivals`` collects (now - sent) of each room message."""

    def __init__(self, transport, port, latencies):
        self.transport, self.port, self.latencies = transport, port, latencies
        self.conn = None
        self.joined = asyncio.Event()
        self.count = 0
        self.last = 0.0

    async def connect(self):
        from tornado.websocket import websocket_connect

        if self.transport == "socketio":
            url = f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket"
        else:
            url = f"ws://127.0.0.1:{self.port}/sockjs/000/{uuid.uuid4().hex[:12]}/websocket"
        self.conn = await websocket_connect(url, max_message_size=16 * 1024 * 1024)
        if self.transport == "socketio":
            assert (await self.conn.read_message()).startswith("0")
            await self.conn.write_message("40")
            while not (await self.conn.read_message()).startswith("40"):
                pass
        else:
            assert await self.conn.read_message() == "o"
            while True:  # our framing: wait for {"type": "connect"}
                frame = await self.conn.read_message()
                if frame.startswith("a") and any(json.loads(m).get("type") == "connect" for m in json.loads(frame[1:])):
                    break
        asyncio.ensure_future(self.read())

    async def emit(self, event, *args, ack=False):
        if self.transport == "socketio":
            await self.conn.write_message(("420" if ack else "42") + json.dumps([event, *args]))
        else:
            frame = {"type": "event", "event": event, "args": list(args)}
            if ack:
                frame["id"] = 0
            await self.conn.write_message(json.dumps([json.dumps(frame)]))

    async def join(self):
        await self.emit("join", ROOM, ack=True)
        await asyncio.wait_for(self.joined.wait(), 30)

    def arrived(self, payload):
        now = time.time()
        self.latencies.append(now - payload["t"])
        self.count += 1
        self.last = now

    async def read(self):
        while True:
            msg = await self.conn.read_message()
            if msg is None:
                return
            if self.transport == "socketio":
                if msg == "2":
                    await self.conn.write_message("3")
                elif msg.startswith("42"):
                    event, *args = json.loads(msg[2:])
                    if event == "room_message":
                        self.arrived(args[0])
                elif msg.startswith("43"):
                    self.joined.set()
            elif msg.startswith("a"):
                for text in json.loads(msg[1:]):
                    frame = json.loads(text)
                    if frame.get("type") == "event" and frame.get("event") == "room_message":
                        self.arrived(frame["args"][0])
                    elif frame.get("type") == "ack":
                        self.joined.set()

    def close(self):
        if self.conn is not None:
            self.conn.close()


def cpu_seconds(pids):
    """User+system CPU seconds of processes (Linux /proc), to tell server cost from load-generator cost."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


async def run_load(ports_transports, clients, rate, seconds, burst=0, server_pids=()):
    """Connect ``clients`` over the given (transport, port) list, send, measure.

    ``burst``: send that many messages back to back instead of ``rate`` a second.
    """
    latencies = []
    members = []
    for i in range(clients):
        transport, port = ports_transports[i % len(ports_transports)]
        members.append(Client(transport, port, latencies))
    for start in range(0, len(members), 50):  # connect and join in batches
        batch = members[start : start + 50]
        await asyncio.gather(*(c.connect() for c in batch))
        await asyncio.gather(*(c.join() for c in batch))
    sender = Client(*ports_transports[0], [])
    await sender.connect()
    await asyncio.sleep(1)
    latencies.clear()

    total = burst or int(rate * seconds)
    server_cpu, client_cpu = cpu_seconds(server_pids), time.process_time()
    first = time.time()
    for i in range(total):
        await sender.emit("to_room", ROOM, {"t": time.time(), "i": i})
        if not burst:
            await asyncio.sleep(max(0.0, first + (i + 1) / rate - time.time()))
    expected = total * clients
    deadline = time.time() + 30
    while len(latencies) < expected and time.time() < deadline:
        await asyncio.sleep(0.1)
    last = max((c.last for c in members), default=first)
    server_cpu, client_cpu = cpu_seconds(server_pids) - server_cpu, time.process_time() - client_cpu
    for c in members + [sender]:
        c.close()
    lat = sorted(latencies)

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000 if lat else float("nan")

    return {
        "messages": total,
        "clients": clients,
        "expected": expected,
        "delivered": len(lat),
        "deliveries_per_s": len(lat) / (last - first) if last > first else 0.0,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "server_us_per_delivery": server_cpu / len(lat) * 1e6 if lat else float("nan"),
        "client_cpu_share": client_cpu / (last - first) if last > first else float("nan"),
    }


# -- driver ----------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, help="a generated project (default: bake one)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="room messages per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--burst", type=int, default=0, help="send this many messages back to back instead")
    parser.add_argument(
        "--transports", default="socketio,sockjs,both", help="'both': one rungevent + one runsocket on Redis"
    )
    parser.add_argument("--buses", default="memory,redis")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="realtime-bench-"))
    project = args.project.resolve() if args.project else bake(tmp / "bake")
    base_settings = settings_module(project)
    database = tmp / "bench.sqlite3"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="realtime.testing.settings",
        REALTIME_TEST_BASE_SETTINGS=base_settings,
        REALTIME_TEST_EXTRA_APPS="realtime.tests.testapp",
        DATABASE_URL=f"sqlite:///{database}",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
        # The sender is the load generator, not an abuser: no per-connection event limit.
        REALTIME_TEST_SETTINGS=json.dumps({"REALTIME_EVENT_RATE": 0}),
    )
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=project, env=env, check=True)

    results = []
    for transport in args.transports.split(","):
        for bus in args.buses.split(","):
            run_env = dict(env)
            if bus == "redis":
                run_env.update(REDIS_URL=args.redis_url, REALTIME_CHANNEL_PREFIX=f"bench-{uuid.uuid4().hex[:8]}")
            if transport == "both" and bus != "redis":
                continue  # one process cannot serve both transports' servers here
            count = 2 if bus == "redis" else 1
            kinds = ["socketio", "sockjs"] if transport == "both" else [transport] * count
            servers = []
            try:
                servers = [Server(project, COMMANDS[kind], run_env, tmp) for kind in kinds]
                for server, kind in zip(servers, kinds):
                    server.transport = kind
                if bus == "redis":
                    time.sleep(1)  # subscribers subscribe
                targets = [(s.transport, s.port) for s in servers]
                result = asyncio.run(
                    run_load(
                        targets, args.clients, args.rate, args.seconds, args.burst, [s.process.pid for s in servers]
                    )
                )
            finally:
                for s in servers:
                    s.stop()
            result.update(transport=transport, bus=bus, processes=count)
            results.append(result)
            print(
                f"{transport:8} {bus:6} {count} process(es) {result['clients']} clients: "
                f"{result['delivered']}/{result['expected']} delivered, "
                f"{result['deliveries_per_s']:,.0f} deliveries/s, "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                f"server CPU {result['server_us_per_delivery']:.1f} us/delivery, "
                f"load generator busy {result['client_cpu_share']:.0%}",
                flush=True,
            )
    print()
    sent = f"burst of {args.burst}" if args.burst else f"{args.rate:g}/s for {args.seconds:g} s"
    print(f"sending: {sent}")
    print(
        "| transport | bus | processes | clients | delivered | deliveries/s | p50 | p99 "
        "| server CPU/delivery | load generator busy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['transport']} | {r['bus']} | {r['processes']} | {r['clients']} | "
            f"{r['delivered']}/{r['expected']} | {r['deliveries_per_s']:,.0f} | {r['p50_ms']:.1f} ms | "
            f"{r['p99_ms']:.1f} ms | {r['server_us_per_delivery']:.1f} µs | {r['client_cpu_share']:.0%} |"
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
