"""What the Redis bus tests share: servers, settings, a fake transport, child processes.

Every test uses its own channel prefix, so it can share a redis-server with
anything else (never FLUSHDB). The shared server is the one on
127.0.0.1:6379 when it answers (or ``REALTIME_TEST_REDIS_URL``); otherwise a
private ``redis-server`` is started on a free port. Tests that stop Redis or
set a password always start their own. Without a ``redis-server`` binary
those tests are skipped with the reason on your machine and fail in CI
(:mod:`realtime.testing.needs`).

Other processes are plain Python children (``CHILD`` below) running the real
bus with a fake transport that prints each frame it is given as a JSON line,
so "delivered exactly once per process" is checked on the wire. A test
module takes the fixtures it uses by assignment (``bus = harness.bus``).
"""

import uuid

import pytest
import redis
from django.test import override_settings

from realtime.bus.redis import RedisBus
from realtime.testing.redis_setup import RedisServer, shared_redis_url
from realtime.tests.live.bus_harness import (
    Child,
    FakeAdapter,
    FakeSocket,
    connect,
    fake,
    frames_for,
    install,
    running,
    wait_for,
)

__all__ = ["Child", "FakeAdapter", "FakeSocket", "RedisServer", "connect", "fake", "frames_for", "install"]
__all__ += ["running", "wait_for"]


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


def redis_settings(url, prefix=None):
    """The settings of a Redis bus on ``url``: its own prefix (fresh unless given), a short presence TTL."""
    return {
        "REDIS_URL": url,
        "REALTIME_BUS_BACKEND": "realtime.bus.redis.RedisBus",
        "REALTIME_CHANNEL_PREFIX": prefix or unique_prefix(),
        "REALTIME_PRESENCE_TTL": 3,
    }


def delete_prefix(client, prefix):
    keys = list(client.scan_iter(match=prefix + ":*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def bus_settings(redis_url):
    """Settings for one test: the Redis bus on a fresh prefix, a short presence TTL."""
    values = redis_settings(redis_url)
    with override_settings(**values):
        yield values
    delete_prefix(redis.Redis.from_url(redis_url), values["REALTIME_CHANNEL_PREFIX"])


@pytest.fixture
def bus(bus_settings, fake):
    """This process's bus is a started RedisBus (thread runtime) for the test."""
    with running(RedisBus()) as b:
        yield b


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


def contract_backend():
    """The Redis bus for the contract suite (``realtime.tests.live.bus_backends``): a private server."""
    import contextlib

    from realtime.tests.live.bus_backends import Backend

    class RedisBackend(Backend):
        name = "redis"
        networked = shares_presence = shares_stats = True

        @contextlib.contextmanager
        def running(self, tmp_path):
            self.server = RedisServer().start()
            self.prefix = unique_prefix()
            try:
                yield self
            finally:
                self.server.stop()

        def settings(self, slot=0):
            return redis_settings(self.server.url(), self.prefix)

        @contextlib.contextmanager
        def outage(self):
            self.server.stop()
            try:
                yield
            finally:
                self.server.start()

    return RedisBackend()
