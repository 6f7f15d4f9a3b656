#!/usr/bin/env python3
"""Soak: many chat clients for many minutes through HAProxy on the production stack.

Why: leaks show over time, not in a test's few seconds. This bakes the richest
project (both transports, supervised Redis, supervisord, HAProxy: the stack of
``tests/test_production.py``), connects ``--clients`` raw websocket clients
through the public port (half Engine.IO/Socket.IO, half SockJS, spread over
loopback addresses 127.0.0.2-51 as if from 50 hosts, in rooms of about 50),
and lets each say a chat line every ``--interval`` seconds for ``--minutes``.
Every ``--sample`` seconds it reads RSS and open file descriptors of every
program of the stack from /proc (a program's child processes included:
gunicorn's workers, HAProxy's worker). At the end it reports, per process, the
figures after ``--warmup`` (flat: the last third within a bound of the
first), and the acknowledged chat lines some member of the room never got
(must be zero). Exit status 0 only if both hold.

    python scripts/soak.py                                # 1,000 clients, 10 minutes
    python scripts/soak.py --clients 300 --minutes 3 --chart soak.png

The clients speak the protocols by hand (raw websocket frames on asyncio
streams, no Socket.IO or SockJS library), all on one event loop in one
thread: 1,000 library clients, or 1,000 threads, would cost the generator
more CPU than the servers. ``--chart`` needs matplotlib (optional).
"""

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class WebSocket:
    """A minimal RFC 6455 client on asyncio streams: text frames out (masked), frames in.

    Hand-written because one thread must carry every client: 1,000
    websocket-client threads fought over the GIL (each waited seconds for its
    turn, so the generator, not the servers, missed Socket.IO's connect
    deadline and acks).
    """

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, url, path, origin, source):
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port), local_addr=(source, 0), limit=2**20), 30)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Origin: {origin}\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if not head.startswith(b"HTTP/1.1 101"):
            writer.close()
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return cls(reader, writer)

    def send(self, text):
        self.writer.write(self._frame(0x1, text.encode()))

    @staticmethod
    def _frame(opcode, payload):
        """A final client frame: masked, as RFC 6455 requires of clients."""
        n = len(payload)
        if n < 126:
            header = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
        return header + mask + masked

    async def recv(self):
        """The next text message (pings answered, a close raised as ConnectionError)."""
        while True:
            first, second = await self.reader.readexactly(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await self.reader.readexactly(n)
            opcode = first & 0x0F
            if opcode == 0x9:  # ping: pong with the same payload
                self.writer.write(self._frame(0xA, payload))
            elif opcode == 0x8:
                raise ConnectionError("closed by the server")
            elif opcode in (0x1, 0x0):
                return payload.decode()

    def close(self):
        self.writer.close()


class Client:
    """One chat member over a raw websocket: joins its room, says a line every ``interval``.

    Runs on the generator's one event loop; ``joined`` is a threading.Event so
    the main thread can wait on it.
    """

    def __init__(self, n, url, proto, room, interval, acked, stop):
        self.n, self.url, self.proto, self.room, self.interval = n, url, proto, room, interval
        self.acked, self.stop = acked, stop
        self.got = set()
        self.ids = iter(range(1, 10**9))
        self.pending = {}  # ack id -> what to do with the answer
        self.joined = threading.Event()
        self.reconnects = self.errors = self.join_retries = 0
        self.ws = None

    # -- wire -----------------------------------------------------------------------------
    async def _open(self):
        if self.proto == "eio":
            path = "/socket.io/?EIO=4&transport=websocket"
        else:
            path = f"/sockjs/{random.randint(0, 999):03d}/{uuid.uuid4().hex[:12]}/websocket"
        ws = await WebSocket.connect(self.url, path, self.url, f"127.0.0.{2 + self.n % 50}")
        if self.proto == "eio":
            assert (await ws.recv()).startswith("0{")
            ws.send("40")
            while not (await ws.recv()).startswith("40"):
                pass
        else:
            assert await ws.recv() == "o"
        self.ws = ws

    def _send(self, event, data, then):
        ack = next(self.ids)
        self.pending[ack] = then
        if self.proto == "eio":
            self.ws.send(f"42{ack}" + json.dumps([event, data]))
        else:
            self.ws.send(json.dumps([json.dumps({"type": "event", "event": event, "args": [data], "id": ack})]))

    def _packets(self, frame):
        """(kind, ack id, payload) of what a frame carries: ("ack", id, answer) or ("event", name, args)."""
        if self.proto == "eio":
            if frame == "2":
                self.ws.send("3")
            elif frame.startswith("43"):
                i = frame.index("[")
                yield "ack", int(frame[2:i]), json.loads(frame[i:])[0]
            elif frame.startswith("42"):
                name, *args = json.loads(frame[frame.index("["):])
                yield "event", name, args
            return
        if frame.startswith("a"):
            for text in json.loads(frame[1:]):
                obj = json.loads(text)
                if obj.get("type") == "ack":
                    yield "ack", obj["id"], (obj.get("args") or [None])[0]
                elif obj.get("type") == "event":
                    yield "event", obj["event"], obj.get("args", [])
        elif frame.startswith("c"):
            raise ConnectionError(frame)

    # -- behaviour ------------------------------------------------------------------------------
    def _join(self):
        have = sorted(self.got)[-100:]
        payload = {"room": self.room, "nickname": f"soak{self.n}", "after": have[-1] if have else None, "have": have}
        self._send("chat:join", payload, self._joined)

    def _joined(self, answer):
        if answer and answer.get("ok"):
            self.got.update(m["id"] for m in answer["messages"])
            self.joined.set()
        elif answer and answer.get("error") == "unavailable":
            # As the chat page does: the database was busy, ask again in a moment.
            self.join_retries += 1
            asyncio.get_running_loop().call_later(1 + 2 * random.random(), self._rejoin, self.ws)
        else:
            self.errors += 1

    def _rejoin(self, ws):
        if ws is self.ws and not self.stop.is_set():
            self._join()

    def _said(self, answer):
        if answer and answer.get("ok"):
            self.acked.append((self.room, answer["id"], time.monotonic()))
        else:
            self.errors += 1

    async def run(self):
        while not self.stop.is_set():
            ticker = None
            try:
                await self._open()
                self._join()
                ticker = asyncio.ensure_future(self._chat(self.ws))
                while not self.stop.is_set():
                    for kind, key, value in self._packets(await self.ws.recv()):
                        if kind == "ack":
                            then = self.pending.pop(key, None)
                            if then:
                                then(value)
                        elif key == "chat:message":
                            self.got.add(value[0]["id"])
            except asyncio.CancelledError:
                return
            except Exception:
                if self.stop.is_set():
                    return
                self.joined.clear()
                self.reconnects += 1
                await asyncio.sleep(1 + random.random())
            finally:
                if ticker is not None:
                    ticker.cancel()
                if self.ws is not None:
                    self.ws.close()

    async def _chat(self, ws):
        await asyncio.sleep(random.random() * self.interval)
        while not self.stop.is_set() and ws is self.ws:
            if self.joined.is_set():
                self._send("chat:message", {"room": self.room, "text": f"soak {self.n} {time.time():.0f}"}, self._said)
            await asyncio.sleep(self.interval)


class Generator(threading.Thread):
    """The event loop every client runs on, in a thread of its own (the main thread samples /proc)."""

    def __init__(self):
        super().__init__(daemon=True, name="soak-clients")
        self.loop = asyncio.new_event_loop()
        self.tasks = []

    def run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start_client(self, client):
        self.tasks.append(asyncio.run_coroutine_threadsafe(client.run(), self.loop))

    def stop(self):
        for task in self.tasks:
            task.cancel()
        self.loop.call_soon_threadsafe(self.loop.stop)


def tree(pid):
    """``pid`` and its descendants (gunicorn's workers, HAProxy's worker), from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], ()))
    return found


def sample(stack):
    """{program: (RSS MB, open fds)} of every program the stack runs, its child processes included."""
    out = {}
    for name, (_, pid) in stack.status().items():
        rss = fds = 0
        for member in tree(pid) if pid else ():
            try:
                with open(f"/proc/{member}/status") as f:
                    rss += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
                fds += len(os.listdir(f"/proc/{member}/fd"))
            except (OSError, StopIteration):
                pass
        out[name] = (round(rss / 1024, 1), fds) if rss else None
    return out


def flat(values, slack_abs, slack_rel):
    """Last third's mean within the bounds of the first third's (after warm-up)."""
    third = max(1, len(values) // 3)
    first, last = sum(values[:third]) / third, sum(values[-third:]) / third
    return last - first <= max(slack_abs, first * slack_rel), round(last - first, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=20, help="seconds between one client's lines")
    parser.add_argument("--room-size", type=int, default=50)
    parser.add_argument("--ramp", type=float, default=20, help="clients connected per second at the start")
    parser.add_argument("--sample", type=float, default=10, help="seconds between two /proc samples")
    parser.add_argument("--warmup", type=float, default=60, help="seconds left out of the flatness check")
    parser.add_argument("--chart", help="write a PNG of RSS and fds over time here (needs matplotlib)")
    parser.add_argument("--json", help="write every sample and the verdict here")
    parser.add_argument("--logs", help="copy the stack's logs (var/*.log) to this folder before it is removed")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="sqlite",
                        help="postgresql: a throwaway database on REALTIME_TEST_POSTGRES_URL's server (as production)")
    args = parser.parse_args(argv)
    # kill (SIGTERM) stops the soak as Ctrl-C does: the stack is shut down, the logs are kept.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from tests import test_production as production

    tmp = Path(tempfile.mkdtemp(prefix="rt-soak-", dir="/tmp"))
    with contextlib.ExitStack() as cleanup:
        extra_env = None
        if args.database == "postgresql":
            from tests.test_production_postgres import postgres_helpers

            database = cleanup.enter_context(postgres_helpers().temporary_database(prefix="rt_soak"))
            extra_env = {"DATABASE_URL": database.url}
        return soak(args, production, production.run_stack(tmp, tls=False, database=args.database,
                                                              extra_env=extra_env), tmp)


def soak(args, production, run, tmp):
    """Run the soak on the stack ``run`` (a ``run_stack`` generator); the exit status."""
    stack = next(run)
    stop = threading.Event()
    generator = Generator()
    try:
        stack.wait_all_up(timeout=120)
        rooms = [f"soak-{i}" for i in range(max(1, args.clients // args.room_size))]
        stack.manage("shell", "-c", "from chat.models import Room\n"
                     f"for name in {rooms!r}: Room.objects.get_or_create(name=name)")
        acked = []
        clients = [Client(n, stack.url, "eio" if n % 2 else "sockjs", rooms[n % len(rooms)], args.interval, acked, stop)
                   for n in range(args.clients)]
        generator.start()
        started = time.monotonic()
        for i, client in enumerate(clients):
            generator.start_client(client)
            if i % 10 == 9:
                time.sleep(10 / args.ramp)
        deadline = time.monotonic() + 120
        joined = sum(c.joined.wait(max(0.1, deadline - time.monotonic())) for c in clients)
        took = time.monotonic() - started
        print(f"soak: {joined} of {args.clients} clients joined {len(rooms)} rooms in {took:.0f}s", flush=True)
        pids = sorted(stack.status())
        samples = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.minutes * 60:
            samples.append((round(time.monotonic() - t0), sample(stack)))
            if len(samples) % 6 == 1:
                print(f"soak: t={samples[-1][0]}s acked={len(acked)} "
                      + " ".join(f"{n.split(':')[-1]}={v[0]}MB/{v[1]}fd" for n, v in samples[-1][1].items() if v),
                      flush=True)
            time.sleep(args.sample)
        stop.set()
        time.sleep(5)  # the last lines arrive
        members = {}  # the clients in their room at the end (one that is not is reported, not counted)
        for client in clients:
            if client.joined.is_set():
                members.setdefault(client.room, []).append(client)
        last = time.monotonic() - 5
        lost = sum(1 for room, id_, at in acked if at < last for c in members.get(room, ()) if id_ not in c.got)
        verdict = report(args, samples, pids, acked, lost, clients)
        if args.json:
            Path(args.json).write_text(json.dumps({"samples": samples, "verdict": verdict}, indent=1))
        if args.chart:
            chart(args.chart, samples, pids)
        return 0 if verdict["ok"] else 1
    finally:
        stop.set()
        generator.stop()
        if args.logs:
            Path(args.logs).mkdir(parents=True, exist_ok=True)
            for log in (stack.project / "var").glob("*.log"):
                shutil.copy(log, args.logs)
        run.close()  # supervisorctl shutdown, every process gone
        shutil.rmtree(tmp, ignore_errors=True)


def report(args, samples, pids, acked, lost, clients):
    after = [s for t, s in samples if t >= args.warmup] or [s for _, s in samples]
    lines, ok = [], True
    for name in sorted(pids):
        series = [s[name] for s in after if s.get(name)]
        if not series:
            lines.append(f"  {name}: gone")
            ok = False
            continue
        rss_flat, rss_delta = flat([v[0] for v in series], 8, 0.10)
        fd_flat, fd_delta = flat([v[1] for v in series], 5, 0.02)
        ok &= rss_flat and fd_flat
        peak = max(v[0] for v in series)
        lines.append(f"  {name:24} RSS {series[0][0]:7.1f} -> {series[-1][0]:7.1f} MB (max {peak:.1f}, "
                     f"{'flat' if rss_flat else 'GROWING'} {rss_delta:+}), fds {series[0][1]} -> {series[-1][1]} "
                     f"({'flat' if fd_flat else 'GROWING'} {fd_delta:+})")
    ok &= lost == 0 and all(c.joined.is_set() for c in clients)
    head = (f"soak: {args.clients} clients, {args.minutes:g} min, one line per client every {args.interval:g}s; "
            f"{len(acked)} chat lines acknowledged, {lost} deliveries of them lost; "
            f"{sum(c.reconnects for c in clients)} reconnects, {sum(c.errors for c in clients)} refused sends, "
            f"{sum(c.join_retries for c in clients)} joins retried (database busy), "
            f"{sum(not c.joined.is_set() for c in clients)} clients not in their room at the end; "
            f"{len(samples)} samples every {args.sample:g}s, flatness after {args.warmup:g}s warm-up:")
    print("\n".join([head, *lines, f"soak: {'OK' if ok else 'FAILED'}"]), flush=True)
    return {"ok": bool(ok), "lost": lost, "acked": len(acked), "report": [head, *lines]}


def chart(path, samples, pids):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("soak: no matplotlib, no chart (pip install matplotlib)")
        return
    fig, (rss, fds) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    for name in sorted(pids):
        points = [(t, s[name]) for t, s in samples if s.get(name)]
        rss.plot([t for t, _ in points], [v[0] for _, v in points], label=name.split(":")[-1])
        fds.plot([t for t, _ in points], [v[1] for _, v in points])
    rss.set_ylabel("RSS (MB)")
    fds.set_ylabel("open fds")
    fds.set_xlabel("seconds")
    rss.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    print(f"soak: chart written to {path}")


if __name__ == "__main__":
    sys.exit(main())
