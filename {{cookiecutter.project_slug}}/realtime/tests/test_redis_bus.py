"""The Redis bus against a real redis-server, with in-process fake transports.

Every test uses its own channel prefix, so it can share a redis-server with
anything else (never FLUSHDB). The shared server is the one on
127.0.0.1:6379 when it answers (or ``REALTIME_TEST_REDIS_URL``); otherwise a
private ``redis-server`` is started on a free port. Tests that stop Redis or
set a password always start their own. Without a ``redis-server`` binary
those tests are skipped with the reason on your machine and fail in CI
(:mod:`realtime.testing.needs`).

Other processes are plain Python children (``CHILD`` below) running the real
bus with a fake transport that prints each frame it is given as a JSON line,
so "delivered exactly once per process" is checked on the wire.
"""

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

import realtime
from realtime import bus as bus_module
from realtime import delivery, dispatch
from realtime.bus.redis import RedisBus, redact, validate_url
from realtime.registry import connected_sockets
from realtime.sockets import Socket
from realtime.testing import free_port
from realtime.testing.needs import need

#: dispatch.connect() tidies the DB connection (as a view would): give it one.
pytestmark = pytest.mark.django_db

# -- servers ------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server (no persistence) on a free port; restartable on the same port."""

    def __init__(self, password=None, tls=False):
        # Skips the test without one (fails it in CI).
        self.binary = need("redis-server", "apt-get install redis-server (tests start their own, on a free port)")
        self.port = free_port()
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="realtime-redis-")
        self.process = None
        self.tls = tls
        if tls:  # a self-signed certificate for 127.0.0.1, trusted by our URL's ssl_ca_certs
            self.cert = os.path.join(self.dir, "cert.pem")
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    os.path.join(self.dir, "key.pem"),
                    "-out",
                    self.cert,
                ],
                check=True,
                capture_output=True,
            )

    def url(self, db=0, password=None):
        password = self.password if password is None else password
        auth = f":{password}@" if password else ""
        if self.tls:
            return f"rediss://{auth}127.0.0.1:{self.port}/{db}?ssl_ca_certs={self.cert}"
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def start(self):
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
        ]
        if self.password:
            args += ["--requirepass", self.password]
        if self.tls:
            args[1:3] = [
                "--port",
                "0",
                "--tls-port",
                str(self.port),
                "--tls-cert-file",
                self.cert,
                "--tls-key-file",
                os.path.join(self.dir, "key.pem"),
                "--tls-ca-cert-file",
                self.cert,
                "--tls-auth-clients",
                "no",
            ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self, db=0):
        return redis.Redis.from_url(self.url(db=db))


def shared_redis_url():
    """The shared server's URL, or None when nothing answers there."""
    url = os.environ.get("REALTIME_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except redis.RedisError:
        return None


@pytest.fixture(scope="session")
def redis_url():
    url = shared_redis_url()
    if url:
        yield url
        return
    server = RedisServer().start()
    yield server.url()
    server.stop()


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.stop()


def unique_prefix():
    return f"rt-test-{uuid.uuid4().hex[:10]}"


def delete_prefix(client, prefix):
    keys = list(client.scan_iter(match=prefix + ":*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def bus_settings(redis_url):
    """Settings for one test: the Redis bus on a fresh prefix, a short presence TTL."""
    prefix = unique_prefix()
    values = {
        "REDIS_URL": redis_url,
        "REALTIME_BUS_BACKEND": "realtime.bus.redis.RedisBus",
        "REALTIME_CHANNEL_PREFIX": prefix,
        "REALTIME_PRESENCE_TTL": 3,
    }
    with override_settings(**values):
        yield values
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


def install(bus):
    old = bus_module.set_bus(bus)
    return old


@pytest.fixture
def fake():
    """A fake transport registered in this process; sockets are cleaned up after."""
    adapter = FakeAdapter()
    delivery.register_adapter(adapter)
    yield adapter
    for s in list(connected_sockets):
        dispatch.disconnect(s)
    delivery.unregister_adapter(adapter)


@pytest.fixture
def bus(bus_settings, fake):
    """This process's bus is a started RedisBus (thread runtime) for the test."""
    b = RedisBus()
    old = install(b)
    b.start(runtime="thread")
    assert b.subscribed.wait(10), "the subscriber did not subscribe"
    yield b
    for s in list(connected_sockets):
        dispatch.disconnect(s)
    b.close()
    bus_module.set_bus(old)


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
if cfg.get("runtime") == "tornado":  # redis.asyncio on a tornado loop, as runsocket runs it
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
if not b.subscribed.wait(20):
    out(error="not subscribed: " + repr(b.__dict__.get("_up"))); sys.exit(1)
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
        out(status={"subscribed": b.subscribed.is_set(), "lost": b.lost})
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


@pytest.fixture
def children(bus_settings):
    made = []

    def make(sockets, settings_override=None, runtime="thread"):
        child = Child({**bus_settings, **(settings_override or {})}, sockets, runtime)
        made.append(child)
        return child

    yield make
    for child in made:
        child.close()


def frames_for(child, sid):
    return [(f["event"], f["args"]) for f in child.frames if f["sid"] == sid]


# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, fragment",
    [
        (None, "REDIS_URL must be a Redis URL"),
        ("http://localhost:6379/0", "scheme must be one of redis, rediss, unix"),
        ("redis:///0", "has no host"),
        ("redis://localhost:99999/0", "port must be a number"),
        ("redis://localhost:63x9/0", "port must be a number"),
        ("redis://:secret@localhost:6379/zero", "database must be a number"),
        ("unix://", "needs a socket path"),
        ("unix:///run/redis.sock?db=x", "database must be a number"),
    ],
)
def test_bad_urls_are_refused_naming_the_setting(url, fragment):
    with override_settings(REDIS_URL=url, REALTIME_BUS_BACKEND="realtime.bus.redis.RedisBus"):
        with pytest.raises(ImproperlyConfigured) as info:
            RedisBus.check_settings()
    assert fragment in str(info.value)
    assert "secret" not in str(info.value)  # the password never reaches a log or an error page
    if url:
        assert "REDIS_URL" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost",
        "redis://localhost:6379/0",
        "rediss://user:pw@cache.example:6380/15",
        "unix:///run/redis.sock?db=2",
        "redis://localhost/?db=3",
    ],
)
def test_good_urls_pass(url):
    validate_url("REDIS_URL", url)


def test_clientsignal_backend_is_an_alias_and_checked_at_start():
    from realtime import conf

    with override_settings(
        REDIS_URL=None, CLIENTSIGNAL_BACKEND="ftp://x", REALTIME_BUS_BACKEND="realtime.bus.redis.RedisBus"
    ):
        with pytest.raises(ImproperlyConfigured, match="CLIENTSIGNAL_BACKEND"):
            conf.check_all()
    with override_settings(
        REDIS_URL=None,
        CLIENTSIGNAL_BACKEND="redis://127.0.0.1:6379/4",
        REALTIME_BUS_BACKEND="realtime.bus.redis.RedisBus",
    ):
        assert RedisBus().url == "redis://127.0.0.1:6379/4"


def test_redact_hides_the_password():
    assert redact("redis://u:s3cret@h:1/0") == "redis://u:***@h:1/0"
    assert redact("redis://h:1/0") == "redis://h:1/0"


# -- publishing without a loop ----------------------------------------------------------------


def test_plain_process_publishes_without_start(bus_settings, redis_url):
    """A Django process that never started the bus (gunicorn, shell, worker) publishes."""
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(f"{bus_settings['REALTIME_CHANNEL_PREFIX']}:bus")
    b = RedisBus()
    old = install(b)
    try:
        realtime.emit("notice", {"n": 1}, room="lobby")
        realtime.send("plain", room="lobby")
        got = [wait_for(lambda: pubsub.get_message(timeout=0.2)) for _ in range(2)]
    finally:
        b.close()
        bus_module.set_bus(old)
        pubsub.close()
    first = json.loads(got[0]["data"])
    assert first["event"] == "notice" and first["args"] == [{"n": 1}] and first["room"] == "lobby"
    assert first["origin"] == b.process_id
    assert json.loads(got[1]["data"])["kind"] == "message"
    assert b.runtime is None  # no subscriber, no loop


def test_non_json_data_is_delivered_locally_and_not_published(bus, fake, caplog):
    s = connect("s1", ["r"])
    with caplog.at_level(logging.ERROR, logger="realtime.bus"):
        realtime.emit("odd", {1, 2}, room="r")  # a set: a transport may encode it, JSON cannot
    assert s.frames == [("odd", [{1, 2}])]
    assert "not JSON" in caplog.text


# -- across processes -------------------------------------------------------------------------


def test_room_emit_reaches_each_member_once_in_every_process(bus, fake, children):
    here = connect("p-in", ["r"])
    outside_here = connect("p-out", ["other"])
    a = children({"a-in": ["r"], "a-out": []})
    b = children({"b-in": ["r", "x"], "b-in2": ["r"]})

    realtime.emit("hello", "from parent", room="r")
    assert wait_for(lambda: len(a.drain(0.05)) >= 1 and len(b.drain(0.05)) >= 2)
    a.command(op="emit", event="hi", args=[1, {"k": "v"}], room="r")
    a.expect("emitted")
    assert wait_for(lambda: len(here.frames) >= 2)
    a.drain(0.5), b.drain(0.1)

    assert here.frames == [("hello", ["from parent"]), ("hi", [1, {"k": "v"}])]
    assert outside_here.frames == []
    for child, sid in ((a, "a-in"), (b, "b-in"), (b, "b-in2")):
        assert frames_for(child, sid) == [("hello", ["from parent"]), ("hi", [1, {"k": "v"}])], sid
    assert frames_for(a, "a-out") == []


def test_a_burst_is_published_in_order_in_pipelined_batches_off_the_emitter(bus, fake, children, monkeypatch):
    """Socket processes queue PUBLISHes for one publisher: in order, batched, acked only once sent."""
    from realtime.events import Event

    child = children({"c-burst": ["burst"]})
    batches = []
    send_batch = bus._publish_batch
    monkeypatch.setattr(bus._publisher, "_send_batch", lambda batch: (batches.append(len(batch)), send_batch(batch)))
    count = 2_000
    for i in range(count):
        realtime.emit("n", i, room="burst")
    acked = []
    Event("e", (), ack=lambda *a: acked.append(bus._publisher.sent)).ack()  # what a receiver's ack does
    assert acked == [count]  # everything emitted before the ack had been handed to Redis
    assert sum(batches) == count and len(batches) < count / 10, batches  # pipelined, not one round trip each
    assert wait_for(lambda: child.drain(0.05) and len(frames_for(child, "c-burst")) >= count, timeout=30)
    assert frames_for(child, "c-burst") == [("n", [i]) for i in range(count)]
    assert bus.lost == 0


def test_one_write_per_envelope_per_process(bus, fake):
    """Encoded once and handed to the transport once, however many local members."""
    for i in range(50):
        connect(f"m{i}", ["big"])
    before = fake.writes
    realtime.emit("tick", 1, room="big")
    assert fake.writes == before + 1
    assert all(s.frames == [("tick", [1])] for s in connected_sockets)


def test_own_envelopes_are_not_delivered_twice(bus, fake):
    s = connect("self", ["r"])
    realtime.emit("once", room="r")
    time.sleep(0.5)  # the echo from Redis arrives meanwhile and is skipped
    assert s.frames == [("once", [])]


def test_bad_envelopes_on_the_channel_are_dropped_with_one_line(bus, fake, redis_url, caplog):
    s = connect("s", ["r"])
    client = redis.Redis.from_url(redis_url)
    with caplog.at_level(logging.WARNING, logger="realtime.bus"):
        client.publish(bus.channel, b"not json")
        client.publish(bus.channel, b'{"v": 99}')
        client.publish(bus.channel, b"\xff\xfe")
        good = {"v": 1, "kind": "event", "endpoint": "/", "room": "r", "event": "ok", "args": [], "origin": "elsewhere"}
        client.publish(bus.channel, json.dumps(good))
        assert wait_for(lambda: s.frames)
    assert s.frames == [("ok", [])]
    assert caplog.text.count("dropped a bad envelope") == 3


# -- presence ---------------------------------------------------------------------------------


def test_presence_across_processes_and_crash_bound(bus, fake, children, bus_settings):
    connect("p1", ["lobby"])
    child = children({"c1": ["lobby"], "c2": ["lobby", "side"], "c3": []})
    members = {m["sid"]: m for m in realtime.presence("lobby")}
    assert set(members) == {"p1", "c1", "c2"}
    assert members["c1"]["process"] == child.process_id and members["p1"]["process"] == bus.process_id
    assert members["c1"]["transport"] == "fake" and members["c1"]["user_id"] is None
    assert [m["sid"] for m in realtime.presence("side")] == ["c2"]

    child.process.send_signal(signal.SIGKILL)
    child.process.wait(5)
    killed = time.monotonic()
    ttl = bus_settings["REALTIME_PRESENCE_TTL"]
    assert wait_for(lambda: {m["sid"] for m in realtime.presence("lobby")} == {"p1"}, timeout=ttl + 2)
    gone_after = time.monotonic() - killed
    print(f"\npresence: SIGKILLed process's members gone after {gone_after:.2f}s (TTL {ttl}s)")
    assert gone_after <= ttl + 0.5
    # and the ghost entries were deleted from Redis, not just hidden
    client = redis.Redis.from_url(bus.url)
    fields = client.hkeys(bus._presence_key("/", "lobby"))
    assert all(not f.decode().startswith(child.process_id) for f in fields)


def test_leave_and_disconnect_update_presence(bus, fake, children):
    child = children({})
    s = connect("p1", ["a", "b"])
    s2 = connect("p2", ["a"])
    s.leave("b")
    dispatch.disconnect(s2)
    # read from another process's point of view (this process answers its own from memory)
    client = redis.Redis.from_url(bus.url)
    assert [f.decode() for f in client.hkeys(bus._presence_key("/", "a"))] == [f"{bus.process_id}|p1"]
    assert client.hkeys(bus._presence_key("/", "b")) == []
    child.close()


def test_graceful_close_removes_the_process_at_once(bus_settings, fake, children):
    child = children({"c1": ["lobby"]})
    b = RedisBus()
    old = install(b)
    try:
        assert [m["sid"] for m in realtime.presence("lobby")] == ["c1"]
        child.close()  # closes its bus: members and stats go with it
        assert realtime.presence("lobby") == []
        assert all(row["process"] != child.process_id for row in b.stats())
    finally:
        b.close()
        bus_module.set_bus(old)


# -- stats ------------------------------------------------------------------------------------


def test_stats_list_every_live_process(bus, fake, children):
    connect("p1", ["r1", "r2"])
    child = children({"c1": ["r"], "c2": ["r"]})
    realtime.emit("x", room="r")
    rows = {}

    def both():
        rows.clear()
        rows.update({r["process"]: r for r in bus.stats()})
        # the child reports every beat (TTL/3 = 1 s): wait for one after its sockets joined
        return child.process_id in rows and rows[child.process_id]["connections_total"] == 2

    assert wait_for(both, timeout=5)
    assert rows[bus.process_id]["connections"] == {"fake": 1}
    assert rows[bus.process_id]["rooms"] == 2
    assert rows[child.process_id]["connections"] == {"fake": 2}
    assert rows[child.process_id]["bus"]["subscribed"] == "thread"
    assert set(rows[bus.process_id]["per_second"]) == {"messages_in", "messages_out", "published"}


# -- resources --------------------------------------------------------------------------------


def our_connections(client, bus):
    return [c for c in client.client_list() if c.get("name", "").startswith(f"{bus.prefix}:{bus.process_id}:")]


def test_two_connections_per_process_whatever_the_clients(bus, fake, redis_url):
    client = redis.Redis.from_url(redis_url)
    realtime.emit("warm", room="r")
    before = our_connections(client, bus)
    for i in range(200):
        connect(f"c{i}", ["r", f"own-{i % 7}"])
    for i in range(20):
        realtime.emit("tick", i, room="r")
    realtime.presence("r")
    after = our_connections(client, bus)
    assert len(before) == len(after) == 2, [c["name"] for c in after]
    assert sorted(c["name"].rsplit(":", 1)[1] for c in after) == ["cmd", "sub"]


def test_publishing_from_many_threads_shares_one_connection(bus_settings, redis_url):
    b = RedisBus()
    old = install(b)
    client = redis.Redis.from_url(redis_url)
    try:
        threads = [threading.Thread(target=lambda: [realtime.emit("t", i) for i in range(20)]) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(our_connections(client, b)) == 1
        assert b.lost == 0
    finally:
        b.close()
        bus_module.set_bus(old)


# -- password and database -----------------------------------------------------------------------


def test_password_and_db_are_honoured(fake, children):
    server = RedisServer(password="s3cret-pw").start()
    try:
        prefix = unique_prefix()
        url = server.url(db=3)
        values = {
            "REDIS_URL": url,
            "REALTIME_BUS_BACKEND": "realtime.bus.redis.RedisBus",
            "REALTIME_CHANNEL_PREFIX": prefix,
            "REALTIME_PRESENCE_TTL": 3,
        }
        with override_settings(**values):
            b = RedisBus()
            old = install(b)
            b.start(runtime="thread")
            try:
                assert b.subscribed.wait(10)
                connect("p1", ["r"])
                child = children({"c1": ["r"]}, settings_override=values)
                realtime.emit("secure", 1, room="r")
                assert wait_for(lambda: frames_for(child, "c1") or child.drain(0.05) and frames_for(child, "c1"))
                assert frames_for(child, "c1") == [("secure", [1])]
                assert {m["sid"] for m in realtime.presence("r")} == {"p1", "c1"}
                # the keys went to db 3, not db 0
                assert server.client(db=3).exists(f"{prefix}:alive:{b.process_id}")
                assert not server.client(db=0).exists(f"{prefix}:alive:{b.process_id}")
            finally:
                for s in list(connected_sockets):
                    dispatch.disconnect(s)
                b.close()
                bus_module.set_bus(old)
    finally:
        server.stop()


def test_acl_user_with_the_documented_permissions_only(fake, children):
    """redis://user:password@host/db with an ACL user limited to what the docstring lists."""
    server = RedisServer(password="admin-pw").start()
    try:
        prefix = unique_prefix()
        server.client().execute_command(
            "ACL",
            "SETUSER",
            "bususer",
            "on",
            ">bus-pw",
            "resetkeys",
            f"~{prefix}:*",
            "resetchannels",
            f"&{prefix}:*",
            "-@all",
            "+publish",
            "+subscribe",
            "+set",
            "+exists",
            "+del",
            "+hset",
            "+hdel",
            "+hgetall",
            "+hkeys",
            "+hscan",
            "+sadd",
            "+smembers",
            "+client|setname",
            "+ping",
        )
        values = {
            "REDIS_URL": f"redis://bususer:bus-pw@127.0.0.1:{server.port}/0",
            "REALTIME_BUS_BACKEND": "realtime.bus.redis.RedisBus",
            "REALTIME_CHANNEL_PREFIX": prefix,
            "REALTIME_PRESENCE_TTL": 3,
        }
        with override_settings(**values):
            b = RedisBus()
            old = install(b)
            b.start(runtime="thread")
            try:
                assert b.subscribed.wait(10)
                connect("p1", ["r"])
                child = children({"c1": ["r"]}, settings_override=values)
                realtime.emit("acl", room="r")
                assert wait_for(lambda: child.drain(0.05) and frames_for(child, "c1"))
                assert frames_for(child, "c1") == [("acl", [])]
                assert {m["sid"] for m in realtime.presence("r")} == {"p1", "c1"}
                child.close()
                assert b._command(b._reap, "reap") == 0  # closed cleanly: nothing left to reap
                assert b._up and b.lost == 0
            finally:
                for s in list(connected_sockets):
                    dispatch.disconnect(s)
                b.close()
                bus_module.set_bus(old)
    finally:
        server.stop()


@pytest.mark.parametrize("child_runtime", ["thread", "tornado"])
def test_rediss_tls_with_both_runtimes(fake, children, child_runtime):
    """rediss:// (TLS): this process's sync subscriber and a child's (thread or redis.asyncio on tornado)."""
    server = RedisServer(password="tls-pw", tls=True).start()
    try:
        values = {
            "REDIS_URL": server.url(db=1),
            "REALTIME_BUS_BACKEND": "realtime.bus.redis.RedisBus",
            "REALTIME_CHANNEL_PREFIX": unique_prefix(),
            "REALTIME_PRESENCE_TTL": 3,
        }
        with override_settings(**values):
            b = RedisBus()
            old = install(b)
            b.start(runtime="thread")
            try:
                assert b.subscribed.wait(10)
                here = connect("p1", ["r"])
                child = children({"c1": ["r"]}, settings_override=values, runtime=child_runtime)
                realtime.emit("tls", 1, room="r")
                assert wait_for(lambda: child.drain(0.05) and frames_for(child, "c1"))
                child.command(op="emit", event="back", args=[2], room="r")
                assert wait_for(lambda: len(here.frames) == 2)
                assert wait_for(lambda: child.drain(0.05) and len(frames_for(child, "c1")) == 2)
                assert here.frames == [("tls", [1]), ("back", [2])]
                assert frames_for(child, "c1") == [("tls", [1]), ("back", [2])]
                assert {m["sid"] for m in realtime.presence("r")} == {"p1", "c1"}
                assert server.client(db=1).exists(f"{b.prefix}:alive:{child.process_id}")
            finally:
                for s in list(connected_sockets):
                    dispatch.disconnect(s)
                b.close()
                bus_module.set_bus(old)
    finally:
        server.stop()


def test_wrong_password_is_one_clear_line_and_local_delivery_goes_on(fake, caplog):
    server = RedisServer(password="right").start()
    try:
        with override_settings(
            REDIS_URL=server.url(password="wrong"),
            REALTIME_CHANNEL_PREFIX=unique_prefix(),
            REALTIME_BUS_BACKEND="realtime.bus.redis.RedisBus",
        ):
            b = RedisBus()
            old = install(b)
            try:
                s = connect("p1", ["r"])
                with caplog.at_level(logging.WARNING, logger="realtime.bus"):
                    for i in range(5):
                        realtime.emit("local", i, room="r")
                assert [f[1] for f in s.frames] == [[0], [1], [2], [3], [4]]
                assert caplog.text.count("Redis bus unreachable") == 1
                assert "***" in caplog.text and "wrong" not in caplog.text
                assert b.lost == 5
            finally:
                dispatch.disconnect(s)
                b.close()
                bus_module.set_bus(old)
    finally:
        server.stop()


# -- resilience -------------------------------------------------------------------------------


def test_redis_restart_local_delivery_goes_on_and_remote_resumes(own_redis, fake, children, caplog):
    prefix = unique_prefix()
    values = {
        "REDIS_URL": own_redis.url(),
        "REALTIME_BUS_BACKEND": "realtime.bus.redis.RedisBus",
        "REALTIME_CHANNEL_PREFIX": prefix,
        "REALTIME_PRESENCE_TTL": 3,
    }
    with override_settings(**values), caplog.at_level(logging.INFO, logger="realtime.bus"):
        b = RedisBus()
        old = install(b)
        b.start(runtime="thread")
        try:
            assert b.subscribed.wait(10)
            here = connect("p1", ["r"])
            child = children({"c1": ["r"]}, settings_override=values)
            realtime.emit("before", room="r")
            assert wait_for(lambda: child.drain(0.05) and frames_for(child, "c1"))

            own_redis.stop()
            assert wait_for(lambda: not b.subscribed.is_set(), timeout=5)
            gap = 25
            for i in range(gap):
                realtime.emit("during", i, room="r")
            assert [f for f in here.frames if f[0] == "during"] == [("during", [i]) for i in range(gap)]
            assert b.wait_sent(10)  # a socket process publishes from a queue (realtime.bus.publisher)
            assert b.lost == gap
            assert child.process.poll() is None  # the other process keeps serving

            own_redis.start()
            assert b.subscribed.wait(15), "the subscriber did not come back"
            child.command(op="status")
            deadline = time.monotonic() + 15
            while not child.expect("status")["status"]["subscribed"]:
                assert time.monotonic() < deadline, "the child's subscriber did not come back"
                time.sleep(0.2)
                child.command(op="status")
            realtime.emit("after", room="r")
            assert wait_for(lambda: child.drain(0.05) and ("after", []) in frames_for(child, "c1"))
            assert frames_for(child, "c1") == [("before", []), ("after", [])]  # the gap is lost: at-most-once
            assert {m["sid"] for m in realtime.presence("r")} == {"p1", "c1"}  # presence re-registered
            print(
                f"\nRedis restart: {gap} messages sent during the gap, delivered locally, "
                f"lost to the other process ({b.lost} counted)"
            )
        finally:
            for s in list(connected_sockets):
                dispatch.disconnect(s)
            b.close()
            bus_module.set_bus(old)
    assert caplog.text.count("Redis bus unreachable") == 1
    assert "Redis bus back" in caplog.text


def test_stats_json_lists_other_processes(bus, fake, children, django_user_model):
    from django.test import Client

    child = children({"c1": ["r"]})
    staff = django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)

    def child_listed():
        data = client.get("/realtime/stats.json", secure=True).json()
        rows = {r["process"]: r for r in data["processes"]}
        return data if child.process_id in rows and rows[child.process_id]["connections_total"] == 1 else None

    data = wait_for(child_listed, timeout=5)
    assert data and data["networked"] is True
    assert {r["process"] for r in data["processes"]} >= {bus.process_id, child.process_id}
    page = client.get("/realtime/", secure=True)
    assert page.status_code == 200 and child.process_id.encode() in page.content


def test_channel_prefixes_keep_projects_apart(bus, fake, children, bus_settings, redis_url):
    """Two projects on one Redis: another prefix (here the seed's CHANNEL_PREFIX alias) hears nothing."""
    other_prefix = unique_prefix()
    other = children(
        {"o1": ["r"]},
        settings_override={
            "REALTIME_CHANNEL_PREFIX": None,
            "CLIENTSIGNAL_BACKEND_OPTIONS": {"CHANNEL_PREFIX": other_prefix},
        },
    )
    mine = children({"m1": ["r"]})
    try:
        realtime.emit("ours", room="r")
        assert wait_for(lambda: mine.drain(0.05) and frames_for(mine, "m1"))
        other.drain(0.5)
        assert frames_for(other, "o1") == []
        assert realtime.presence("r") and {m["sid"] for m in realtime.presence("r")} == {"m1"}
        client = redis.Redis.from_url(redis_url)
        assert client.exists(f"{other_prefix}:alive:{other.process_id}")  # the alias set its prefix
    finally:
        other.close()
        delete_prefix(redis.Redis.from_url(redis_url), other_prefix)
