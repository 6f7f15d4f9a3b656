"""Redis down at start-up, and a silently dead link: what each process does, with figures.

(A Redis restart mid-traffic is ``test_redis_faults.py``'s; with real servers and
clients, ``test_redis_live.py``'s; a Sentinel failover, ``test_redis_sentinel.py``'s.)
"""

import json
import logging
import signal
import time

import pytest
from django.test import override_settings

import realtime
from realtime import bus as bus_module
from realtime import delivery
from realtime.bus import redis as redis_bus
from realtime.bus.redis import RedisBus
from realtime.exceptions import BusUnavailable
from realtime.tests.live import redis_harness as harness
from realtime.tests.live.redis_harness import (
    RedisServer,
    connect,
    install,
    redis_settings,
    running,
    wait_for,
)

pytestmark = pytest.mark.django_db
fake = harness.fake


def test_redis_down_at_start_up_web_emit_raises_socket_process_retries(caplog):
    """A web process's emit raises a clear error; a socket process starts, logs one line, retries."""
    server = RedisServer()  # its port is chosen; nothing listens there yet
    assert delivery.adapters() == [], "this test needs a process that serves no sockets"
    with override_settings(**redis_settings(server.url())), caplog.at_level(logging.INFO, logger="realtime.bus"):
        web = RedisBus()  # a gunicorn worker, the shell, a job: never started
        old = install(web)
        socket_process = RedisBus()
        try:
            with pytest.raises(BusUnavailable) as info:
                realtime.emit("news", 1, room="r")
            message = str(info.value)
            assert "unreachable" in message and "REDIS_URL" in message and "Start Redis" in message
            socket_process.start(runtime="thread")  # as rungevent/runsocket do: it must not raise
            time.sleep(2)  # a few reconnect attempts
            assert not socket_process.subscribed.is_set()
            server.start()
            started = time.monotonic()
            assert socket_process.subscribed.wait(10), "the subscriber did not connect once Redis started"
            print(f"\nRedis down at start-up: subscribed {time.monotonic() - started:.1f}s after Redis came up")
            assert wait_for(lambda: web.link.command(lambda c: c.ping(), "ping"), timeout=10)
            realtime.emit("news", 2, room="r")  # the web process publishes again
        finally:
            socket_process.close()
            web.close()
            bus_module.set_bus(old)
            server.stop()
    # one WARNING per process for the outage, not one per attempt
    assert caplog.text.count("Redis bus unreachable") == 2, caplog.text
    assert caplog.text.count("Redis bus back") >= 1


def test_a_silently_dead_link_is_noticed_within_10_seconds(fake, caplog):
    """redis-server frozen (SIGSTOP): no error, no FIN; the health-check PINGs notice it."""
    server = RedisServer().start()
    values = redis_settings(server.url())
    try:
        with (
            override_settings(**values),
            caplog.at_level(logging.INFO, logger="realtime.bus"),
            running(RedisBus()) as b,
        ):
            here = connect("s1", ["r"])
            server.process.send_signal(signal.SIGSTOP)
            frozen = time.monotonic()
            assert wait_for(lambda: not b.subscribed.is_set(), timeout=15), "the dead link was not noticed"
            noticed = time.monotonic() - frozen
            print(
                f"\ndead Redis link noticed after {noticed:.1f}s (health checks: ping after "
                f"{redis_bus.PING_EVERY}s of silence, dead after {redis_bus.DEAD_AFTER}s)"
            )
            assert noticed <= 10, noticed
            assert "health check" in caplog.text
            realtime.emit("local", 1, room="r")  # local delivery goes on meanwhile
            assert here.frames == [("local", [1])]

            server.process.send_signal(signal.SIGCONT)
            assert b.subscribed.wait(15), "the subscriber did not come back"
            envelope = {
                "v": 1,
                "kind": "event",
                "endpoint": "/",
                "room": "r",
                "event": "back",
                "args": [],
                "origin": "elsewhere",
            }
            server.client().publish(b.channel, json.dumps(envelope))
            assert wait_for(lambda: ("back", []) in here.frames)
            assert caplog.text.count("Redis bus unreachable") == 1  # one line for the outage
    finally:
        server.process.send_signal(signal.SIGCONT)
        server.stop()


def test_sentinels_that_name_no_master_are_one_line_that_says_what_to_check(caplog):
    """A wrong master name, or sentinels that do not run: one WARNING naming the fix, no traceback."""
    from realtime.testing import free_port

    url = f"redis+sentinel://:pw@127.0.0.1:{free_port()},127.0.0.1:{free_port()}/nomaster/0"
    assert delivery.adapters() == []
    values = {"REDIS_URL": url, "REALTIME_BUS_BACKEND": "realtime.bus.redis.RedisBus"}
    with override_settings(**values), caplog.at_level(logging.WARNING, logger="realtime.bus"):
        b = RedisBus()
        old = install(b)
        try:
            for _ in range(3):
                with pytest.raises(BusUnavailable):
                    realtime.emit("x")
        finally:
            b.close()
            bus_module.set_bus(old)
    assert caplog.text.count("Redis bus unreachable") == 1, caplog.text
    assert "MasterNotFoundError" in caplog.text and "check the master name" in caplog.text
    assert "Traceback" not in caplog.text and ":pw@" not in caplog.text
