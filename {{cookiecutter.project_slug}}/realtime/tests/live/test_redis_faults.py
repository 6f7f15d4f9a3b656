"""The Redis bus when things go wrong: passwords, ACLs, TLS, restarts, outages.

Helpers and fixtures: :mod:`realtime.tests.live.redis_harness`.
"""

import logging
import time

import pytest
from django.test import override_settings

import realtime
from realtime import bus as bus_module
from realtime import dispatch
from realtime.bus.redis import RedisBus

from realtime.tests.live import redis_harness as harness
from realtime.tests.live.redis_harness import (
    RedisServer,
    connect,
    frames_for,
    install,
    redis_settings,
    running,
    unique_prefix,
    wait_for,
)

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


# -- password and database -----------------------------------------------------------------------


def test_password_and_db_are_honoured(fake, children):
    server = RedisServer(password="s3cret-pw").start()
    try:
        prefix = unique_prefix()
        url = server.url(db=3)
        values = redis_settings(url, prefix)
        with override_settings(**values), running(RedisBus()) as b:
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
        values = redis_settings(f"redis://bususer:bus-pw@127.0.0.1:{server.port}/0", prefix)
        with override_settings(**values), running(RedisBus()) as b:
            connect("p1", ["r"])
            child = children({"c1": ["r"]}, settings_override=values)
            realtime.emit("acl", room="r")
            assert wait_for(lambda: child.drain(0.05) and frames_for(child, "c1"))
            assert frames_for(child, "c1") == [("acl", [])]
            assert {m["sid"] for m in realtime.presence("r")} == {"p1", "c1"}
            child.close()
            assert b.link.command(b.members.reap, "reap") == 0  # closed cleanly: nothing left to reap
            assert b.link.up and b.lost == 0
    finally:
        server.stop()


@pytest.mark.parametrize("child_runtime", ["thread", "tornado"])
def test_rediss_tls_with_both_runtimes(fake, children, child_runtime):
    """rediss:// (TLS): this process's sync subscriber and a child.s (thread or tornado runtime)."""
    server = RedisServer(password="tls-pw", tls=True).start()
    try:
        values = redis_settings(server.url(db=1))
        with override_settings(**values), running(RedisBus()) as b:
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
    values = redis_settings(own_redis.url(), prefix)
    with override_settings(**values), caplog.at_level(logging.INFO, logger="realtime.bus"), running(RedisBus()) as b:
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
    assert caplog.text.count("Redis bus unreachable") == 1
    assert "Redis bus back" in caplog.text
