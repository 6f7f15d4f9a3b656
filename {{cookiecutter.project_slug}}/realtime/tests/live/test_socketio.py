"""Socket.IO on gevent, live: a real ``rungevent`` and real Socket.IO clients.

Every test runs over the websocket and the long-polling transport. The
server's receivers are in ``realtime.tests.testapp``.

What every transport does (connect, refuse, events, acks both ways, rooms,
close, origin) is ``test_transport_contract.py``; this module keeps what is
particular to this transport or not in the contract.
"""

import json
import urllib.request
import uuid

import pytest

from realtime.testing import SocketIOTestClient

TRANSPORTS = [pytest.param(["websocket"], id="websocket"), pytest.param(["polling"], id="polling")]


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=TRANSPORTS)
def transports(request):
    return request.param


@pytest.fixture
def client(gevent_server, transports):
    """A connected anonymous client; returns a factory for more."""
    made = []

    def make(query="", **kwargs):
        kwargs.setdefault("transports", transports)
        c = SocketIOTestClient(gevent_server.url + query, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_private_endpoint_refuses_anonymous_and_accepts_logged_in(gevent_server, client):
    anonymous = client("?private=1")
    assert not anonymous.connected
    assert anonymous.connect_error == "login required"
    bob = client("?private=1", cookies=gevent_server.login("bob"))
    assert bob.connected
    assert bob.emit("whoami")["user"] == "bob"


def test_unknown_namespace_is_refused(client):
    c = client(namespace="/no-such-endpoint")
    assert not c.connected
    assert c.connect_error == "Invalid namespace"  # the Node server's words


def test_events_of_one_socket_run_in_order_and_do_not_block_others(client):
    import time

    slow, other = client(), client()
    start = time.monotonic()
    slow.emit("nap", 0.5, ack=False)
    assert other.emit("echo", "not blocked") == "not blocked"
    assert time.monotonic() - start < 0.4  # another socket is served while one sleeps
    assert slow.emit("echo", "after the nap") == "after the nap"
    assert time.monotonic() - start >= 0.5  # queued behind the nap of its own socket


def test_send_emit_and_broadcast_reach_exactly_the_right_clients(client):
    a, b, c = client(), client(), client()
    token = unique("bcast")
    a.emit("broadcast", token)
    assert b.receive("broadcast") == token
    assert c.receive("broadcast") == token
    a.assert_nothing("broadcast")  # the sender is excluded

    a.emit("broadcast_send", token)
    assert b.receive("message") == token
    assert c.receive("message") == token
    a.assert_nothing("message")

    a.emit("send_me", token)
    assert a.receive("message") == token
    b.assert_nothing("message", within=0.1)


def test_binary_data_both_ways(client):
    """Bytes travel as Socket.IO attachments (raw on a websocket, base64 on long-polling)."""
    a, b = client(), client()
    assert a.emit("echo", b"\x00\x01bin") == b"\x00\x01bin"
    a.emit("broadcast", {"blob": b"\xff\x00"}, ack=False)
    assert b.receive("broadcast") == {"blob": b"\xff\x00"}


def test_realtime_emit_from_a_django_view_reaches_the_room(gevent_server, client):
    room = unique("view")
    inside, outside = client(), client()
    inside.emit("join", room)
    url = f"{gevent_server.url}/testapp/emit?room={room}&text=from+a+view"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert json.load(response) == {"ok": True}
    assert inside.receive("from_view") == "from a view"
    outside.assert_nothing("from_view")


def test_connected_sockets_lists_this_process_sockets(gevent_server, client):
    c = client()
    with urllib.request.urlopen(gevent_server.url + "/testapp/sockets", timeout=5) as response:
        assert c.sid in json.load(response)["sids"]


def test_db_work_in_a_receiver(client):
    c = client()
    name = unique("db")
    assert c.emit("db_write", name) >= 1
