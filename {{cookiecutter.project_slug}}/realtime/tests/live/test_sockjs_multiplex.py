"""SockJS multiplexing on a live ``runsocket``: one connection, every endpoint (issue 15, point 1).

A raw websocket at ``/sockjs/mux/websocket`` (one websocket message = one
multiplex frame, no SockJS framing) speaks the websocket-multiplex frames of
``realtime.transports.sockjs.multiplex`` by hand; ``/sockjs/mux/<server>/<session>/xhr``
checks the same over SockJS's xhr-polling. The endpoints are the test app's
(``sockjs_server``: ``/`` the core, ``/simple`` ping/pong, ``/private`` login
required, ``/plain`` a plain sockjs-tornado connection; messages up to 8192 bytes).
"""

import json
import random
import time
import urllib.request
import uuid

import pytest
import websocket

from realtime.testing import SockJSTestClient


class Mux:
    """A multiplexed connection over the raw websocket, read frame by frame."""

    def __init__(self, server, cookies=None):
        header = [f"Cookie: {'; '.join(f'{k}={v}' for k, v in cookies.items())}"] if cookies else []
        url = f"ws://127.0.0.1:{server.port}/sockjs/mux/websocket"
        self.ws = websocket.create_connection(url, header=header, timeout=10)
        self.frames = []

    def send(self, *frames):
        for frame in frames:
            self.ws.send(frame)

    def expect(self, kind, topic, match=lambda payload: True, timeout=10):
        """The first frame ``kind,topic,payload`` (payload JSON-decoded) that ``match``es."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (k, t, payload) in enumerate(self.frames):
                if k == kind and t == topic and match(payload):
                    del self.frames[i]
                    return payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind},{topic} frame within {timeout}s; got {self.frames}")
            self.ws.settimeout(remaining)
            text = self.ws.recv()
            k, _, rest = text.partition(",")
            t, _, payload = rest.partition(",")
            self.frames.append((k, t, json.loads(payload) if payload else None))

    def nothing(self, kind, topic, within=0.5):
        try:
            found = self.expect(kind, topic, timeout=within)
        except (AssertionError, websocket.WebSocketTimeoutException):
            return
        raise AssertionError(f"unexpected {kind},{topic} frame: {found}")

    def close(self):
        self.ws.close()


def event(name, *args, ack_id=None):
    frame = {"type": "event", "event": name, "args": list(args)}
    if ack_id is not None:
        frame["id"] = ack_id
    return json.dumps(frame)


@pytest.fixture
def mux(sockjs_server):
    conn = Mux(sockjs_server)
    yield conn
    conn.close()


def test_core_and_signals_over_one_connection(sockjs_server, mux):
    mux.send("sub,/", "sub,/simple")
    sid = mux.expect("msg", "/", lambda p: p["type"] == "connect")["sid"]
    mux.send("msg,/," + event("whoami", ack_id=1))
    ack = mux.expect("msg", "/", lambda p: p["type"] == "ack")
    assert ack["id"] == 1 and ack["args"][0]["sid"] == sid and ack["args"][0]["transport"] == "sockjs"
    mux.send('msg,/simple,{"event": "ping_me", "data": {}}')
    pong = mux.expect("msg", "/simple", lambda p: p["event"] == "pong")["data"]
    assert pong["pong"] == "just you" and pong["sid"] != sid  # each channel is its own socket
    # a broadcast of the endpoint reaches the channel (the adapter's prepared frames, with the topic)
    with SockJSTestClient(sockjs_server.url + "/simple", clientsignal=True) as other:
        other.signal("ping")
        assert mux.expect("msg", "/simple", lambda p: p["event"] == "pong")["data"] == {"pong": "Ponged"}
        assert other.receive_signal("pong") == {"pong": "Ponged"}


def test_core_broadcasts_reach_channels(sockjs_server, mux):
    room = f"room-{uuid.uuid4().hex[:8]}"
    mux.send("sub,/")
    mux.expect("msg", "/", lambda p: p["type"] == "connect")
    mux.send("msg,/," + event("join", room, ack_id=1))
    mux.expect("msg", "/", lambda p: p["type"] == "ack")
    with SockJSTestClient(sockjs_server.url + "/sockjs") as other:
        other.emit("to_room", room, "hello room")
    got = mux.expect("msg", "/", lambda p: p["type"] == "event" and p["event"] == "room_message")
    assert got["args"] == ["hello room"]


@pytest.mark.parametrize(
    "frame, code, words",
    [
        ("sub,nope", 4400, "bad topic"),
        ("sub,/nope", 4404, "served here"),
        ("sub,/plain", 4406, "own URL"),
        ("sub,/nope?x=1#2", 4404, "'/nope'"),
        ('msg,/simple,{"event": "ping"}', 4400, "sub,/simple first"),
        ("hello,/simple", 4400, "unknown multiplex frame type"),
    ],
)
def test_bad_frames_are_refused_with_a_clear_reason(mux, frame, code, words):
    mux.send(frame)
    topic = frame.split(",")[1]
    refusal = mux.expect("uns", topic)
    assert refusal["code"] == code and words in refusal["reason"], refusal
    mux.send("sub,/simple", 'msg,/simple,{"event": "ping_me", "data": {}}')  # the connection still works
    assert mux.expect("msg", "/simple", lambda p: p["event"] == "pong")["data"]["pong"] == "just you"


def test_subscribing_twice_is_refused_and_tags_open_more_channels(mux):
    mux.send("sub,/simple", "sub,/simple")
    assert mux.expect("uns", "/simple")["code"] == 4409
    mux.send("sub,/", "sub,/#2")
    one = mux.expect("msg", "/", lambda p: p["type"] == "connect")["sid"]
    two = mux.expect("msg", "/#2", lambda p: p["type"] == "connect")["sid"]
    assert one != two


def test_channels_per_connection_are_bounded(mux):
    from realtime.transports.sockjs.multiplex import MAX_CHANNELS

    mux.send(*(f"sub,/simple#{i}" for i in range(MAX_CHANNELS + 1)))
    refusal = mux.expect("uns", f"/simple#{MAX_CHANNELS}")
    assert refusal["code"] == 4400 and "too many channels" in refusal["reason"]
    mux.send("uns,/simple#0", f"sub,/simple#{MAX_CHANNELS}", f'msg,/simple#{MAX_CHANNELS},{{"event": "ping_me"}}')
    assert mux.expect("msg", f"/simple#{MAX_CHANNELS}", lambda p: p["event"] == "pong")["data"]["pong"] == "just you"


def test_a_topic_query_is_the_channels_request_get(mux):
    mux.send("sub,/?refuse=1", "sub,/?observer=1")
    refused = mux.expect("msg", "/?refuse=1", lambda p: p["type"] == "event" and p["event"] == "error")
    assert refused["args"][0] == {"error": "refused", "message": "refused by test receiver"}
    assert mux.expect("uns", "/?refuse=1")["code"] == 4403
    mux.expect("msg", "/?observer=1", lambda p: p["type"] == "connect")


def test_uns_closes_one_channel_and_runs_its_disconnect(sockjs_server, mux):
    mux.send("sub,/", "sub,/simple")
    mux.expect("msg", "/", lambda p: p["type"] == "connect")
    mux.send("uns,/simple")
    time.sleep(0.3)
    with SockJSTestClient(sockjs_server.url + "/simple", clientsignal=True) as other:
        other.signal("ping")
        assert other.receive_signal("pong") == {"pong": "Ponged"}
    mux.nothing("msg", "/simple")
    mux.send('msg,/simple,{"event": "ping"}')
    assert mux.expect("uns", "/simple")["code"] == 4400
    mux.send("msg,/," + event("echo", "still here", ack_id=5))  # the other channel is untouched
    assert mux.expect("msg", "/", lambda p: p["type"] == "ack")["args"] == ["still here"]
    mux.send("sub,/simple", 'msg,/simple,{"event": "ping_me", "data": {}}')  # and it can come back
    assert mux.expect("msg", "/simple", lambda p: p["event"] == "pong")["data"]["pong"] == "just you"


def test_auth_and_refusal_are_per_channel(sockjs_server, mux):
    mux.send("sub,/private", "sub,/")
    error = mux.expect("msg", "/private", lambda p: p["event"] == "error")["data"]
    assert error["error"] == "refused"
    assert mux.expect("uns", "/private")["code"] == 4403
    mux.expect("msg", "/", lambda p: p["type"] == "connect")  # the core channel connected all the same
    logged_in = Mux(sockjs_server, cookies=sockjs_server.login("mux-ann"))
    try:
        logged_in.send("sub,/private", 'msg,/private,{"event": "hello", "data": {"x": 1}}')
        assert logged_in.expect("msg", "/private", lambda p: p["event"] == "hello")["data"]["user"] == "mux-ann"
    finally:
        logged_in.close()


def test_message_size_limit_is_per_channel(mux):
    mux.send("sub,/simple")
    mux.send('msg,/simple,{"event": "ping", "data": {"x": "' + "a" * 9000 + '"}}')
    error = mux.expect("msg", "/simple", lambda p: p["event"] == "error")["data"]
    assert error["error"] == "too_large" and "REALTIME_MAX_MESSAGE_BYTES" in error["message"]
    mux.send('msg,/simple,{"event": "ping_me", "data": {}}')  # the channel survives
    assert mux.expect("msg", "/simple", lambda p: p["event"] == "pong")["data"]["pong"] == "just you"


def test_broken_json_in_one_channel_is_that_channels_error(mux):
    """On the raw /websocket broken JSON closes an endpoint's own connection; here the other channels live on."""
    mux.send("sub,/", "sub,/simple", "msg,/simple,{not json")
    error = mux.expect("msg", "/simple", lambda p: p["event"] == "error")["data"]
    assert error["error"] == "bad_frame"
    mux.send("msg,/," + event("echo", "alive", ack_id=2))
    assert mux.expect("msg", "/", lambda p: p["type"] == "ack")["args"] == ["alive"]


def test_the_server_closing_a_socket_closes_its_channel(mux):
    mux.send("sub,/", "msg,/," + event("kick"))
    assert mux.expect("uns", "/") == {"code": 4000, "reason": "disconnect"}


def test_over_sockjs_xhr_polling(sockjs_server):
    """The same frames through SockJS's own framing (what sockjs-client sends)."""
    base = f"{sockjs_server.url}/sockjs/mux/000/{uuid.uuid4().hex[:12]}"

    def post(suffix, body=b""):
        with urllib.request.urlopen(urllib.request.Request(base + suffix, data=body, method="POST"), timeout=10) as r:
            return r.read().decode()

    assert post("/xhr") == "o\n"
    post("/xhr_send", json.dumps(["sub,/simple", 'msg,/simple,{"event": "ping_me", "data": {}}']).encode())
    deadline, seen = time.monotonic() + 10, []
    while time.monotonic() < deadline and not any("just you" in m for m in seen):
        frame = post("/xhr")
        if frame.startswith("a"):
            seen += json.loads(frame[1:])
    assert any(m.startswith("msg,/simple,") and "just you" in m for m in seen), seen


def test_garbage_frames_get_answers_never_tracebacks(sockjs_server):
    """Random frames (types, topics, payloads, commas, unicode): the server answers or drops each, and lives."""
    rng = random.Random(15)
    pieces = ["sub", "msg", "uns", "", "SUB", "msg,", ",", "/", "/simple", "/#", "/?a=1,b", "/private", "\u00e9"]
    pieces.append("x" * 300)
    payloads = ["", "{", "[]", "null", '{"event": 1}', '{"type": "event", "event": "echo", "id": "x"}', "\ud7ff" * 50]
    mux = Mux(sockjs_server)
    mark = len(sockjs_server.log())
    try:
        for _ in range(300):
            parts = [rng.choice(pieces) for _ in range(rng.randint(1, 3))]
            mux.send(",".join(parts + ([rng.choice(payloads)] if rng.random() < 0.5 else [])))
        mux.send("uns,/simple", "sub,/simple", 'msg,/simple,{"event": "ping_me", "data": {}}')
        assert mux.expect("msg", "/simple", lambda p: p and p.get("event") == "pong", timeout=20)["data"]["pong"]
    finally:
        mux.close()
    log = sockjs_server.log()[mark:]
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
