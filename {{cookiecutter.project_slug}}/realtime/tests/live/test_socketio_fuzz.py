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

import requests
from hypothesis import given
from hypothesis import strategies as st

from realtime.tests.live.fuzzing import (
    LIMIT,
    deep_json,
    fuzz,
    garbage,
    giant_string,
    http_case_for,
    json_values,
    random_bytes,
)

from realtime.tests.live import socketio_watch
from realtime.tests.live.socketio_watch import EioWebSocket

#: The fuzz server and its bystanders (a module-scoped fixture of ``socketio_watch``).
watch = socketio_watch.watch


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
        run.frames(s, frames, sent=len(frames) + 2)


def test_websocket_packets(watch):
    """Bad Engine.IO/Socket.IO frames over websocket: text, binary, attachments, namespaces."""
    watch.run("websocket packets", websocket_case)


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
    watch.run("polling payloads", polling_case)


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
        run.frames(s, frames, sent=len(frames) + 2)


def test_events_and_client_signals(watch):
    """Well-framed events with bad content: unknown and reserved names, odd arguments, signal data
    that is not an object, has reserved or non-identifier keys, or values of any type."""
    watch.run("events and client signals", event_case)


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


http_case = http_case_for(PATHS)


def test_http_requests(watch):
    """Bad methods, headers and bodies (a large Content-Length announced, little sent) on every path kind."""
    watch.run("HTTP requests", http_case)
