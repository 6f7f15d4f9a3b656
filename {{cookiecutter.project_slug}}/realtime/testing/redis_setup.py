"""The production bus as a cross-transport test setup (see ``realtime.testing.setups``).

Deleted from projects made without Redis.
"""

import contextlib
import uuid
from collections.abc import Iterator

NAME = "redis"
#: An outer REDIS_URL would replace the development setup's local bus.
NOT_IN_DEV = {"REDIS_URL": ""}


@contextlib.contextmanager
def bus_env() -> Iterator[dict[str, str]]:
    """The shared redis-server when one answers, else a private one; a channel prefix of the test's own."""
    from realtime.tests.test_redis_bus import RedisServer, shared_redis_url

    url = shared_redis_url()
    own = None
    if not url:
        own = RedisServer().start()
        url = own.url()
    try:
        yield {"REDIS_URL": url, "REALTIME_CHANNEL_PREFIX": f"both-{uuid.uuid4().hex[:8]}"}
    finally:
        if own is not None:
            own.stop()
