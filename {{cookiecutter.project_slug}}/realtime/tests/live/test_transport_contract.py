"""The transport contract: what every transport does, checked the same way on each.

Each test runs once per transport this project serves
(:func:`realtime.transports.available`), against its real server
(``LiveServer.for_transport``: the command of its catalog entry) with a real
wire client (``LiveServer.client``). The server's receivers are the test app's
(``realtime.tests.testapp``); they answer with what the server saw, so a
receiver never knows which transport a client used and these tests never
branch on it, except through :data:`WIRES` and :func:`next_message` (how each
test client is asked for a websocket or long-polling, and for a plain message).
Each test that uses ``client`` runs over both.

A new transport passes this module before anything else: see "Add a
transport" in the project's README.
"""

import json
import time
import uuid

import pytest

from realtime import transports
from realtime.testing import LiveServer
from realtime.tests.conftest import TEST_APPS

#: The keyword that makes each transport's test client use a websocket, or long-polling
#: (HTTP requests only: where an Origin header is the page's, not the client library's).
WIRES = {
    "socketio": {"websocket": {"transports": ["websocket"]}, "polling": {"transports": ["polling"]}},
    "sockjs": {"websocket": {"transport": "websocket"}, "polling": {"transport": "xhr"}},
}
WAIT = 10
# A long-polling client that leaves without a word (SockJS has no close request) is noticed when
# the server next writes to its pending poll, the heartbeat (25 s by default), plus the session's
# disconnect delay (5 s): the protocol's design. Heartbeats every 2 s keep that within WAIT here.
SETTINGS = {"REALTIME_TEST_SETTINGS": json.dumps({"REALTIME_SOCKJS_OPTIONS": {"*": {"heartbeat_delay": 2}}})}


@pytest.fixture(scope="module", params=transports.available())
def server(request):
    with LiveServer.for_transport(request.param, extra_apps=TEST_APPS, env=SETTINGS) as live:
        yield live


@pytest.fixture(params=["websocket", "polling"])
def wire(request, server):
    """The test client's keywords for a websocket, or for long-polling."""
    return WIRES[server.transport][request.param]


@pytest.fixture
def client(server, wire):
    """A factory of connected clients of the server's transport, closed after the test."""
    made = []

    def make(query="", **kwargs):
        made.append(server.client(query=query, **{**wire, **kwargs}))
        return made[-1]

    yield make
    for c in made:
        c.close()


def log_since(server, start, last_line, timeout=10.0):
    """The server's log after ``start``, once ``last_line`` is in it (a loaded machine flushes late)."""
    deadline = time.monotonic() + timeout
    while True:
        log = server.log()[start:]
        if last_line in log or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def next_message(c):
    """The next plain message (``socket.send``) the client received."""
    if hasattr(c, "receive_message"):
        return c.receive_message()
    return c.receive("message")


def wait_gone(observer, sid):
    """Wait for the test app's ``gone`` (sent to the "observers" room on every disconnect) for ``sid``.

    Other tests' clients may leave meanwhile: their ``gone`` is skipped.
    """
    for _ in range(50):
        if observer.receive("gone", timeout=WAIT) == sid:
            return
    raise AssertionError(f"no 'gone' for {sid}")


def attempt(server, query="", **kwargs):
    """``(client or None, why it is not connected)``: a refused HTTP handshake may raise."""
    try:
        c = server.client(query=query, **kwargs)
    except Exception as exc:  # e.g. python-socketio's ConnectionError on a 403
        return None, exc
    return c, c.connect_error


# -- connect ---------------------------------------------------------------------------
def test_connect_runs_socket_connected_once_with_a_socket_of_this_transport(server, client):
    c = client()
    welcome = c.receive("welcome")  # emitted by the socket_connected receiver
    assert welcome["transport"] == server.transport
    assert welcome["sid"] == c.sid == welcome["session_id"]
    assert welcome["connected"] is True and welcome["user"] is None and welcome["rooms"] == []
    assert c.emit("whoami")["sid"] == c.sid
    assert server.log().count(f"{c.sid} connected") == 1


def test_a_logged_in_user_arrives_with_the_session_cookie(server, client):
    name = unique("ann")
    c = client(cookies=server.login(name))
    assert c.receive("welcome")["user"] == name


# -- refuse ----------------------------------------------------------------------------
def test_a_refusal_reaches_the_client_with_its_reason_and_no_socket_remains(server, client):
    before = server.log()
    refused = client("?refuse=1")
    assert not refused.connected and refused.connect_error == "refused by test receiver"
    private = client("?private=1")
    assert not private.connected and private.connect_error == "login required"
    crashed = client("?crash_connect=1")  # a receiver that raises refuses, with one log line
    assert not crashed.connected and crashed.connect_error == "server error"
    log = log_since(server, len(before), "RuntimeError: connect receiver crashed")
    assert log.count(": refused by test receiver") == 1 and log.count(": login required") == 1
    assert log.count("RuntimeError: connect receiver crashed") == 1  # its traceback, once
    # refused sockets never "disconnect" (they never connected): no socket_disconnected ran
    assert " disconnected" not in log


# -- events and acks, both ways ----------------------------------------------------------
def test_client_events_reach_receivers_and_their_return_value_is_the_ack(client):
    c = client()
    assert c.emit("echo", 1, "two", {"three": [3]}) == [1, "two", {"three": [3]}]
    assert c.emit("echo", "one") == "one"
    assert c.emit("readme_ack", "hi") == "I have received your message!"  # event.ack()
    assert c.emit("double_ack") == "first"  # a second ack is refused, not sent
    assert c.receive("double_ack_refused") is True
    token = unique("noack ü ✓")
    c.emit("send_me", token, ack=False)  # no ack asked: the receiver still runs
    assert next_message(c) == token


def test_errors_are_answered_and_the_connection_stays(client):
    c = client()
    assert c.emit("boom")["error"] == "server_error"  # a receiver raised: in the ack
    c.emit("disconnect", ack=False)  # a reserved name: an error event
    assert c.receive("error")["error"] == "bad_event"
    assert c.emit("echo", "still here") == "still here"


def test_server_emits_with_a_callback_get_the_clients_ack(client):
    c = client()
    c.ack_replies["please_ack"] = lambda data: {"got": data}
    c.emit("server_emit_with_ack", "payload", ack=False)
    assert c.receive("please_ack") == "payload"
    assert c.receive("client_acked") == [{"got": "payload"}]


def test_plain_messages_both_ways(client):
    c = client()
    c.send({"text": "hi"})
    assert next_message(c) == {"echo": {"text": "hi"}}


# -- rooms and broadcasts ----------------------------------------------------------------
def test_rooms_reach_their_members_only(client):
    a, b, outside = client(), client(), client()
    room = unique("room")
    assert a.emit("join", room) == [room]
    assert b.emit("join", room) == [room]
    assert sorted(sid for sid, _ in outside.emit("presence", room)) == sorted([a.sid, b.sid])
    outside.emit("to_room", room, "hello room")
    assert a.receive("room_message") == "hello room"
    assert b.receive("room_message") == "hello room"
    outside.assert_nothing("room_message")
    assert b.emit("leave", room) == []
    outside.emit("to_room", room, "again")
    assert a.receive("room_message") == "again"
    b.assert_nothing("room_message")


def test_broadcasts_skip_the_sender(client):
    a, b = client(), client()
    token = unique("bcast")
    a.emit("broadcast", token)
    assert b.receive("broadcast") == token
    a.assert_nothing("broadcast")


# -- close ---------------------------------------------------------------------------------
def test_a_client_that_leaves_runs_socket_disconnected_once(server, client):
    observer = client("?observer=1")
    observer.receive("welcome")
    c = client()
    sid = c.sid
    c.close()
    wait_gone(observer, sid)
    assert server.log().count(f"{sid} disconnected") == 1


def test_the_server_closes_a_socket(server, client):
    observer = client("?observer=1")
    observer.receive("welcome")
    c = client()
    sid = c.sid
    c.emit("kick", ack=False)
    assert c.disconnected.wait(WAIT), "the client was not disconnected"
    wait_gone(observer, sid)


# -- origin --------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["http://evil.example", "https://127.0.0.1"])
def test_a_foreign_origin_is_refused_before_any_receiver_runs(server, origin):
    c, why = attempt(server, "?observer=1", headers={"Origin": origin}, **WIRES[server.transport]["polling"])
    try:
        assert (c is None or not c.connected) and why, "a foreign origin connected"
    finally:
        if c is not None:
            c.close()
    assert f"from origin {origin!r}" in server.log()  # one log line says why


def test_the_pages_own_origin_connects(server):
    with server.client(headers={"Origin": server.url}, **WIRES[server.transport]["polling"]) as c:
        assert c.connected and c.emit("echo", "same origin") == "same origin"
