"""The chat across processes: one Redis bus, one database, several socket servers.

(This file is deleted from projects made without Redis. Both transports on
the development setup and on Redis: ``test_both_transports``.)
"""

import uuid

import pytest

from chat.tests.browser import (
    TRANSPORTS,
    create_rooms,
    serve,
)
from chat.tests.test_chat_live import join
from realtime import conf
from realtime.tests.live import redis_harness

#: The shared redis-server when one answers, else a private one (the Redis bus tests' fixture).
redis_url = redis_harness.redis_url


@pytest.fixture
def bus_env(redis_url):
    return {"REDIS_URL": redis_url, "REALTIME_CHANNEL_PREFIX": f"chat-test-{uuid.uuid4().hex[:8]}"}


def wire_client(transport, server):
    if transport == "socketio":
        from realtime.testing import SocketIOTestClient

        return SocketIOTestClient(server.url)
    from realtime.testing import SockJSTestClient

    return SockJSTestClient(server.url + conf.sockjs_prefix())


def test_announcement_from_a_management_command_reaches_live_clients(bus_env):
    """``chat_announce`` runs in a process of its own: the bus carries it to the sockets."""
    transport = TRANSPORTS[0]
    with serve(transport, env=bus_env) as server:
        create_rooms(server, "news")
        with wire_client(transport, server) as ann:
            join(ann, "news", "ann")
            assert "announced in news" in server.manage("chat_announce", "news", "doors close at 6").stdout
            got = ann.receive("chat:message", timeout=10)
            assert (got["kind"], got["text"]) == ("system", "doors close at 6")
