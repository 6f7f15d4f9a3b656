"""Generated bad input against a live ``rungevent`` (property-based, hypothesis).

Each strategy opens its own sessions below any Socket.IO client library (raw
websocket frames, raw long-polling requests, raw HTTP) and sends what a broken
or hostile client could: bad Engine.IO and Socket.IO packets, bad JSON, deep
nesting, huge attachment counts, wrong namespaces, binary where text belongs,
client-signal payloads of the wrong shape. A malformed packet may close that
session (the protocol's rule); the properties are about everyone else, checked
by :class:`realtime.tests.live.fuzzing.ServerWatch`. Budget and seed: see
:mod:`realtime.tests.live.fuzzing`.
"""

import base64
import json
import uuid

import pytest
import requests
import websocket
from hypothesis import given
from hypothesis import strategies as st

from realtime.testing import LiveServer, SocketIOTestClient
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS
from realtime.tests.live.fuzzing import (
    LIMIT,
    SERVER_ENV,
    ServerWatch,
    deep_json,
    fuzz,
    garbage,
    giant_string,
    http_requests,
    json_values,
    random_bytes,
    send_http,
)

CLOSED = (websocket.WebSocketException, ConnectionError, OSError)


@pytest.fixture(scope="module")
def watch():
    """A server of its own (its log and memory are the fuzz run's), with three bystanders."""
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS, **SERVER_ENV}
    with LiveServer("rungevent", extra_apps=TEST_APPS, env=env) as server:
        ws = SocketIOTestClient(server.url, transports=["websocket"])
        polling = SocketIOTestClient(server.url, transports=["polling"])
        signals = SocketIOTestClient(server.url, namespace="/simple")

        def round_trips():
            token = uuid.uuid4().hex
            assert ws.emit("echo", token, timeout=10) == token
            assert polling.emit("echo", token, timeout=10) == token
            ws.emit("broadcast", token, ack=False)
            assert receive_until(polling, "broadcast", token) == token
            signals.client.emit("ping_me", {}, namespace="/simple")
            pong = receive_until(signals, "pong", "just you", key="pong")
            assert pong["sid"] == signals.sid

        watch = ServerWatch(server, round_trips, "socketio")
        for _ in range(20):  # warm-up: the code paths every case takes, so their caches are in the baseline
            with EioWebSocket(server, "/") as s:
                s.send(["42[1]"])
        watch.settle()
        yield watch
        for client in (ws, polling, signals):
            client.close()


def receive_until(client, event, expected, key=None, timeout=10):
    """The next ``event`` whose value (or ``value[key]``) is ``expected``; others (fuzz traffic) are skipped."""
    while True:
        value = client.receive(event, timeout=timeout)
        if (value.get(key) if key and isinstance(value, dict) else value) == expected:
            return value


class EioWebSocket:
    """One raw Engine.IO websocket session, optionally joined to a namespace."""

    def __init__(self, server, namespace=None):
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=5)
        assert self.ws.recv().startswith("0{")
        if namespace is not None:
            self.ws.send("40" if namespace == "/" else f"40{namespace},")
            self.until(lambda f: f.startswith(("40", "44")))

    def until(self, predicate, timeout=5):
        self.ws.settimeout(timeout)
        while True:
            frame = self.ws.recv()
            if not frame and not self.ws.connected:
                raise ConnectionError("closed")
            if frame == "2":
                self.ws.send("3")
            elif predicate(frame):
                return frame

    def send(self, frames):
        for frame in frames:
            if isinstance(frame, bytes):
                self.ws.send_binary(frame)
            else:
                self.ws.send(frame)

    def outcome(self):
        """``closed`` or ``open``: two UPGRADE probes (each answered NOOP) let the server read and handle all."""
        try:
            for _ in range(2):
                self.ws.send("5")
                self.until(lambda f: f == "6")
        except CLOSED:
            return "closed"
        return "open"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ws.close()


# -- packets ----------------------------------------------------------------------------------

NAMESPACES = st.sampled_from(["", "", "/,", "/simple,", "/nowhere,", "/simple", "/%00,"]) | st.text(max_size=12).map(
    lambda t: "/" + t + ","
)
payloads = st.one_of(
    json_values.map(json.dumps),
    json_values.map(lambda v: json.dumps(["echo", v])),
    deep_json(),
    garbage,
    giant_string(),
    st.just('["echo",{"_placeholder":true,"num":99}]'),
)


@st.composite
def socketio_packets(draw):
    """A Socket.IO packet's text: any type (valid or not), attachments, namespace, id, payload."""
    kind = draw(st.sampled_from("0123456") | st.sampled_from(["7", "9", "a", "-", " ", ""]))
    attachments = draw(st.sampled_from(["", "", "1-", "0-", "-1-", "99-", "9999999999-", "99999999999-", "x-"]))
    ack_id = draw(st.sampled_from(["", "", "1", "007", "9" * 30, "-1"]))
    return kind + attachments + draw(NAMESPACES) + ack_id + draw(payloads)


engineio_texts = st.one_of(
    socketio_packets().map(lambda p: "4" + p),
    st.sampled_from("0123456789xb").map(lambda t: t) | garbage,
    st.binary(max_size=64).map(lambda b: "b" + base64.b64encode(b).decode()),
    st.text(max_size=20).map(lambda t: "b" + t),
)


@st.composite
def attachment_runs(draw):
    """A binary packet announcing ``n`` attachments, then some binary frames (bounded: 3 x the limit)."""
    count = draw(st.sampled_from([1, 2, 10, 11, 1000, 10**6, 10**9]))
    head = f"45{count}-" + draw(NAMESPACES) + json.dumps(["echo", {"_placeholder": True, "num": 0}])
    sizes = draw(st.lists(st.integers(0, LIMIT), max_size=6))
    return [head] + [b"\x00" * size for size in sizes]


websocket_frames = st.lists(engineio_texts | random_bytes, min_size=1, max_size=3) | attachment_runs()


@fuzz
@given(namespace=st.sampled_from(["/", "/simple", None]), frames=websocket_frames)
def websocket_case(watch, run, namespace, frames):
    with EioWebSocket(watch.server, namespace) as s:
        try:
            s.send(frames)
        except CLOSED:
            pass
        run.case(s.outcome(), sent=len(frames) + 2, sessions=1)


def test_websocket_packets(watch):
    """Bad Engine.IO/Socket.IO frames over websocket: text, binary, attachments, namespaces."""
    run = watch.strategy("websocket packets")
    websocket_case(watch, run)
    run.finish()


@fuzz
@given(
    namespace=st.sampled_from(["/", "/simple"]),
    packets=st.lists(engineio_texts, min_size=1, max_size=3) | random_bytes,
)
def polling_case(watch, run, namespace, packets):
    base = watch.server.url + "/socket.io/?EIO=4&transport=polling"
    sid = json.loads(requests.get(base, timeout=10).text[1:])["sid"]
    url = f"{base}&sid={sid}"
    requests.post(url, data=b"40" if namespace == "/" else f"40{namespace},".encode(), timeout=10)
    body = packets if isinstance(packets, bytes) else "\x1e".join(packets).encode("utf-8", "surrogatepass")
    status = requests.post(url, data=body, timeout=10).status_code
    closed = requests.post(url, data=b"1", timeout=10).status_code != 200  # CLOSE: the session ends either way
    run.case(f"POST {status}/{'closed' if closed else 'open'}", sent=3, sessions=1)


def test_polling_payloads(watch):
    """Bad long-polling POST bodies: packets joined by U+001E, random bytes, base64 that is not."""
    run = watch.strategy("polling payloads")
    polling_case(watch, run)
    run.finish()


# -- events and client signals -------------------------------------------------------------------

event_names = st.sampled_from(["echo", "echo", "nope", "", "connect", "disconnect", "message", "error", "x" * 201])
#: Signals whose receivers accept any data (``add`` and ``boom`` raise on purpose: receivers' tracebacks
#: are logged by design, see test_socketio_bad_input).
signal_names = st.sampled_from(["ping", "ping_me", "whoami", "nope", "import", "a b", "x" * 101, "message"])
signal_data = st.one_of(
    json_values,
    st.dictionaries(st.text(max_size=6), json_values, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "name", "signal", "sender", "self"]), json_values, max_size=3),
)


@st.composite
def event_frames(draw, namespace):
    nsp = "" if namespace == "/" else namespace + ","
    ack_id = draw(st.sampled_from(["", "1", "42"]))
    if namespace == "/":
        name, args = draw(event_names | st.text(max_size=10)), draw(st.lists(json_values, max_size=3))
        body = draw(st.sampled_from(["list", "list", "deep", "giant"]))
        text = json.dumps([name, *args])
        if body == "deep":
            text = '["echo",' + draw(deep_json(max_depth=1200)) + "]"
        elif body == "giant":
            text = '["echo",' + draw(giant_string(LIMIT - 20)) + "]"
    else:
        name = draw(signal_names | st.text(max_size=10) | json_values)
        text = json.dumps([name, draw(signal_data)])
    return "42" + nsp + ack_id + text


@fuzz
@given(data=st.data(), namespace=st.sampled_from(["/", "/simple"]))
def event_case(watch, run, data, namespace):
    frames = data.draw(st.lists(event_frames(namespace), min_size=1, max_size=3))
    with EioWebSocket(watch.server, namespace) as s:
        try:
            s.send(frames)
        except CLOSED:
            pass
        run.case(s.outcome(), sent=len(frames) + 2, sessions=1)


def test_events_and_client_signals(watch):
    """Well-framed events with bad content: unknown and reserved names, odd arguments, signal data
    that is not an object, has reserved or non-identifier keys, or values of any type."""
    run = watch.strategy("events and client signals")
    event_case(watch, run)
    run.finish()


# -- HTTP ---------------------------------------------------------------------------------------------

PATHS = [
    "/",
    "/healthz",
    "/socket.io/",
    "/socket.io/?EIO=4&transport=polling",
    "/socket.io/?EIO=4&transport=websocket",
    "/socket.io/?EIO=3&transport=polling",
    "/socket.io/?EIO=4&transport=polling&sid=nosuchsession",
    "/static/realtime/realtime.js",
    "/admin/login/",
    "*",
]


@fuzz
@given(request=http_requests(PATHS))
def http_case(watch, run, request):
    raw, announced_more = request
    run.case(send_http(watch.server.port, raw, wait=0.5 if announced_more else 3), sent=2)


def test_http_requests(watch):
    """Bad methods, headers and bodies (a large Content-Length announced, little sent) on every path kind."""
    run = watch.strategy("HTTP requests")
    http_case(watch, run)
    run.finish()


def test_attachments_past_the_message_limit_close_the_session(watch):
    """A binary packet may not collect attachments without end: past REALTIME_MAX_MESSAGE_BYTES
    in total (or past 10 announced, socket.io-parser's limit) the session is closed."""
    with EioWebSocket(watch.server, "/") as s:
        s.send(["451000000-" + json.dumps(["echo", {"_placeholder": True, "num": 0}])])
        s.send([b"\x00" * 4000] * 3)  # 12 KB pending for one packet, over the 8 KB limit
        assert s.outcome() == "closed"
    with EioWebSocket(watch.server, "/") as s:
        s.send(["4511-" + json.dumps(["echo", {"_placeholder": True, "num": 0}])])
        assert s.outcome() == "closed"
    with EioWebSocket(watch.server, "/") as s:  # within both limits: delivered
        s.send(["452-1" + json.dumps(["echo", {"_placeholder": True, "num": 0}, {"_placeholder": True, "num": 1}])])
        s.send([b"\x01" * 3000, b"\x02" * 3000])
        frame = s.until(lambda f: isinstance(f, str) and f.startswith("46"))
        assert frame.startswith("462-1["), frame  # the echo's ack, with both attachments back
    watch.check(budget=10)


def test_deep_event_data_closes_the_session_with_one_line(watch):
    """Found by the fuzzer: 500 levels echoed back raised RecursionError in python-socketio's encoder."""
    with EioWebSocket(watch.server, "/") as s:
        s.send(["42" + json.dumps(["echo", 1])[:-1] + "," + "[" * 101 + "]" * 101 + "]"])
        assert s.outcome() == "closed"
    with EioWebSocket(watch.server, "/") as s:  # 100 levels (the event's list counts) are served
        s.send(['421["echo",' + "[" * 99 + "]" * 99 + "]"])
        assert s.until(lambda f: f.startswith("431[")) == "431[" + "[" * 99 + "]" * 99 + "]"
    log = watch.server.log()
    assert log.count("data nested deeper than 100 levels") >= 1
    watch.check(budget=6)


@pytest.mark.parametrize(
    "raw",
    [
        (b"GET / HTTP/9\r\n\r\n", "realtime"),  # IndexError in gevent's version check
        (b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "realtime"),
        (b"\x01\r\n\r\n", "realtime"),  # an ERROR line
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "django.security.DisallowedHost"),  # Django: ERROR, traceback
        (b"POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: 0\r\n\r\n", None),  # engineio
    ],
    ids=["version", "chunk-size", "method", "host", "no-sid"],
)
def test_bad_http_is_one_warning_line(watch, raw):
    """Found by the fuzzer: these printed tracebacks or ERROR lines (gevent.pywsgi, Django)."""
    raw, logger = raw
    before = len(watch.server.log().splitlines())
    send_http(watch.server.port, raw)  # 400, or 403 when Django answered before the body was found bad
    watch.check(budget=3)
    new = watch.server.log().splitlines()[before:]
    assert logger is None or [line for line in new if f"WARNING {logger} " in line], new


def test_pywsgi_compat_finds_what_it_reaches_into():
    from realtime.transports.socketio import pywsgi_compat

    pywsgi_compat.check_library()


def test_signal_data_with_a_self_key_is_refused_with_one_line(watch):
    """Found by the fuzzer: {"self": ...} reached Signal.send_robust(self, ...): a TypeError, a traceback."""
    with EioWebSocket(watch.server, "/simple") as s:
        s.send(['42/simple,["ping",{"self":1}]'])
        error = s.until(lambda f: f.startswith('42/simple,["error"'))
        assert "reserved keys" in error and "self" in error, error
    watch.check(budget=3)
