"""The Redis bus against a real redis-server: fan-out, presence, stats, connections.

Helpers and fixtures: :mod:`realtime.tests.live.redis_harness`. The backend-neutral
part (rooms, ``to``, ``skip``, presence, stats) is also in the contract suite
(``test_bus_contract.py``); these are the Redis-specific figures.
"""

import json
import logging
import signal
import threading
import time

import pytest
import redis

import realtime
from realtime import bus as bus_module
from realtime import dispatch
from realtime.bus.redis import RedisBus
from realtime.registry import connected_sockets

from realtime.tests.live import redis_harness as harness
from realtime.tests.live.redis_harness import connect, delete_prefix, frames_for, install, unique_prefix, wait_for

#: dispatch.connect() tidies the DB connection (as a view would): give it one.
pytestmark = pytest.mark.django_db
redis_url, own_redis, bus_settings, fake, bus, children = (
    harness.redis_url,
    harness.own_redis,
    harness.bus_settings,
    harness.fake,
    harness.bus,
    harness.children,
)


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
    fields = client.hkeys(bus.keys.presence("/", "lobby"))
    assert all(not f.decode().startswith(child.process_id) for f in fields)


def test_leave_and_disconnect_update_presence(bus, fake, children):
    child = children({})
    s = connect("p1", ["a", "b"])
    s2 = connect("p2", ["a"])
    s.leave("b")
    dispatch.disconnect(s2)
    # read from another process's point of view (this process answers its own from memory)
    client = redis.Redis.from_url(bus.url)
    assert [f.decode() for f in client.hkeys(bus.keys.presence("/", "a"))] == [f"{bus.process_id}|p1"]
    assert client.hkeys(bus.keys.presence("/", "b")) == []
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
    """Two projects on one Redis: another prefix (here Django Client Signals' CHANNEL_PREFIX alias) hears nothing."""
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
