"""The Redis bus through Sentinel: processes follow a failover to the new master by themselves.

(The chat under traffic, with nothing acknowledged lost: ``chat/tests/test_redis_sentinel.py``.)
This process and two children (one on the tornado runtime) share
``REDIS_URL=redis+sentinel://...``; the master is SIGKILLed; every process
resubscribes to the promoted replica and envelopes flow again both ways.
"""

import time

import pytest
from django.test import override_settings

import realtime
from realtime.bus.redis import RedisBus
from realtime.testing.redis_sentinel import SentinelCluster
from realtime.tests.live import redis_harness as harness
from realtime.tests.live.redis_harness import (
    Child,
    connect,
    frames_for,
    redis_settings,
    running,
    wait_for,
)

pytestmark = pytest.mark.django_db
fake = harness.fake


def test_every_process_follows_a_failover(fake):
    cluster = SentinelCluster().start()
    values = redis_settings(cluster.url())
    children = []
    try:
        with override_settings(**values), running(RedisBus()):
            here = connect("p1", ["r"])
            children = [Child(values, {"c1": ["r"]}), Child(values, {"c2": ["r"]}, runtime="tornado")]
            realtime.emit("before", room="r")
            for child, sid in zip(children, ("c1", "c2")):
                assert wait_for(lambda: child.drain(0.05) and frames_for(child, sid))

            cluster.kill_master()
            killed = time.monotonic()
            promoted = cluster.wait_failover()
            deadline = time.monotonic() + 40
            n = 0
            while True:  # probe until every child hears us, and we hear every child
                n += 1
                realtime.emit("probe", n, room="r")
                for i, child in enumerate(children):
                    child.command(op="emit", event="from-child", args=[i, n], room="r")
                time.sleep(0.3)
                heard = [any(f[0] == "probe" for f in frames_for(c, s)) for c, s in zip(children, ("c1", "c2"))]
                for child in children:
                    child.drain(0.05)
                back = {args[0] for event, args in here.frames if event == "from-child"}
                if all(heard) and back == {0, 1}:
                    break
                assert time.monotonic() < deadline, f"heard {heard}, back {back}"
            gap = time.monotonic() - killed
            clients = cluster.replica.client().client_list()
            subscribers = [c["name"] for c in clients if c.get("name", "").endswith(":sub")]
            assert len([s for s in subscribers if s.startswith(values["REALTIME_CHANNEL_PREFIX"])]) == 3
            assert {m["sid"] for m in realtime.presence("r")} == {"p1", "c1", "c2"}  # written again
            print(
                f"\nSentinel failover: promoted after {promoted:.1f}s; all 3 processes flowing again {gap:.1f}s "
                f"after the kill"
            )
    finally:
        for child in children:
            child.close()
        cluster.stop()
