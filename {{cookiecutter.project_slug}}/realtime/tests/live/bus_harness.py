"""What the bus tests share: a fake transport, this process's bus, and child processes.

Other processes are plain Python children (``CHILD`` below) running the real
bus named by their settings (any backend) with a fake transport that prints
each frame it is given as a JSON line, so "delivered exactly once per
process" is checked on the wire. Used by the contract suite
(``test_bus_contract.py``) and by each backend's own tests.
"""

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from realtime import bus as bus_module
from realtime import delivery, dispatch
from realtime.registry import connected_sockets
from realtime.sockets import Socket


def install(bus):
    old = bus_module.set_bus(bus)
    return old


@contextlib.contextmanager
def running(bus, start=True):
    """``bus`` installed as this process's bus (started on the thread runtime, subscribed, unless
    ``start`` is false) for the block; after it every socket is disconnected, the bus closed and
    the previous one put back, whatever the block raised. The set-up every bus test needs."""
    old = install(bus)
    try:
        if start:
            bus.start(runtime="thread")
            ready = getattr(bus, "subscribed", None)
            assert ready is None or ready.wait(10), f"{type(bus).__name__} did not start listening"
        yield bus
    finally:
        for s in list(connected_sockets):
            dispatch.disconnect(s)
        bus.close()
        bus_module.set_bus(old)


@pytest.fixture
def fake():
    """A fake transport registered in this process; sockets, and any bus made meanwhile, are cleaned up after.

    (A socket connecting with a networked bus starts the dashboard's reporter,
    whose thread may build a bus from the test's settings: it must not outlive the test.)
    """
    from realtime.dashboard import reporter

    before = bus_module.set_bus(None)
    bus_module.set_bus(before)
    adapter = FakeAdapter()
    delivery.register_adapter(adapter)
    yield adapter
    for s in list(connected_sockets):
        dispatch.disconnect(s)
    delivery.unregister_adapter(adapter)
    reporter.stop()
    leftover = bus_module.set_bus(before)
    if leftover is not None and leftover is not before:
        leftover.close()


# -- a fake transport -----------------------------------------------------------------------


class FakeSocket(Socket):
    transport = "fake"

    def __init__(self, sid, endpoint="/"):
        request = RequestFactory().get("/")
        request.user = AnonymousUser()
        super().__init__(sid, request, endpoint)
        self.frames = []

    def _write_message(self, message):
        self.frames.append(("message", message))

    def _write_event(self, event, args, callback):
        self.frames.append((event, list(args)))

    def _close(self):
        dispatch.disconnect(self)


class FakeAdapter(delivery.Adapter):
    transport = "fake"

    def __init__(self):
        self.writes = 0

    def write(self, envelope, sockets):
        self.writes += 1
        for s in sockets:
            s.frames.append((envelope.event or "message", list(envelope.args)))


def connect(sid, rooms=(), endpoint="/"):
    s = FakeSocket(sid, endpoint)
    dispatch.connect(s)
    for room in rooms:
        s.join(room)
    return s


def wait_for(predicate, timeout=10, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# -- child processes ------------------------------------------------------------------------

CHILD = r"""
import json, sys, threading
cfg = json.loads(sys.argv[1])
import django
django.setup()
from django.test.utils import override_settings
override_settings(**cfg["settings"]).enable()
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
import realtime
from realtime import bus, delivery, dispatch
from realtime.sockets import Socket

lock = threading.Lock()
def out(**kw):
    with lock:
        print(json.dumps(kw), flush=True)

class ChildSocket(Socket):
    transport = "fake"
    def __init__(self, sid):
        request = RequestFactory().get("/")
        request.user = AnonymousUser()
        super().__init__(sid, request)
    def _write_message(self, message):
        out(sid=self.sid, event="message", args=[message])
    def _write_event(self, event, args, callback):
        out(sid=self.sid, event=event, args=list(args))
    def _close(self):
        dispatch.disconnect(self)

class Adapter(delivery.Adapter):
    transport = "fake"
    def write(self, envelope, sockets):
        for s in sockets:
            out(sid=s.sid, event=envelope.event or "message", args=envelope.args)

delivery.register_adapter(Adapter())
b = bus.get_bus()
if cfg.get("runtime") == "tornado":  # the tornado runtime, as runsocket runs it
    import asyncio
    from tornado.ioloop import IOLoop
    def run_loop():
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        b.start(runtime="tornado", io_loop=loop)
        loop.start()
    threading.Thread(target=run_loop, daemon=True).start()
else:
    b.start(runtime="thread")
ready = getattr(b, "subscribed", None)  # a backend that connects somewhere says when it listens
if ready is not None and not ready.wait(20):
    out(error="not subscribed"); sys.exit(1)
for sid, rooms in cfg["sockets"].items():
    s = ChildSocket(sid)
    dispatch.connect(s)
    for room in rooms:
        s.join(room)
out(ready=b.process_id)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["op"] == "emit":
        realtime.emit(cmd["event"], *cmd["args"], room=cmd.get("room"))
        out(emitted=cmd["event"])
    elif cmd["op"] == "status":
        out(status={"subscribed": ready is None or ready.is_set(), "lost": getattr(b, "lost", 0)})
    elif cmd["op"] == "quit":
        break
b.close()
out(closed=True)
"""


class Child:
    """A second process on the same bus: sockets in rooms, frames on stdout."""

    def __init__(self, bus_settings, sockets, runtime="thread"):
        cfg = {"settings": bus_settings, "sockets": sockets, "runtime": runtime}
        env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE=os.environ["DJANGO_SETTINGS_MODULE"])
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps(cfg)],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = queue.Queue()
        self.frames = []
        self.said = []  # error lines
        threading.Thread(target=self._read, daemon=True).start()
        ready = self.expect("ready", 30)
        self.process_id = ready["ready"]

    def _read(self):
        for line in self.process.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                pass
        self.lines.put(None)

    def expect(self, key, timeout=10):
        """The next line with ``key`` (frames seen meanwhile are kept in ``frames``)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"child printed no {key!r} in {timeout}s; stderr: {self.stderr()}") from None
            if item is None:
                raise AssertionError(f"child exited ({self.process.poll()}): {self.said} {self.stderr()}")
            self.said.append(item) if "error" in item else None
            if "sid" in item:
                self.frames.append(item)
            if key in item:
                return item

    def drain(self, wait=0.3):
        """Collect frames for ``wait`` seconds; returns every frame so far."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                item = self.lines.get(timeout=0.02)
            except queue.Empty:
                continue
            if item is not None and "sid" in item:
                self.frames.append(item)
        return self.frames

    def command(self, **cmd):
        self.process.stdin.write(json.dumps(cmd) + "\n")
        self.process.stdin.flush()

    def stderr(self):
        if self.process.poll() is None:
            return "(running)"
        return self.process.stderr.read()[-3000:]

    def close(self):
        if self.process.poll() is None:
            try:
                self.command(op="quit")
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(5)


def frames_for(child, sid):
    return [(f["event"], f["args"]) for f in child.frames if f["sid"] == sid]
