"""Generated bad input against a live ``runsocket --django`` (property-based, hypothesis).

Each strategy speaks SockJS by hand (raw websocket frames, raw ``xhr_send``
bodies, raw HTTP) on the core endpoint (``/sockjs``), a client-signal
endpoint (``/simple``) and a plain sockjs-tornado connection (``/plain``):
broken JSON, payloads that are not arrays, arrays of non-strings, giant
strings around ``REALTIME_MAX_MESSAGE_BYTES``, deep nesting, client-signal data
of the wrong shape, bad JSONP callbacks. Broken JSON on a websocket closes that
connection (the protocol's rule); the properties are about everyone else,
checked by :class:`realtime.tests.live.fuzzing.ServerWatch`. Budget and seed: see
:mod:`realtime.tests.live.fuzzing`.
"""

import json
from urllib.parse import quote

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

from realtime.tests.live import sockjs_watch
from realtime.tests.live.sockjs_watch import SYNC, SockJSWebSocket, session_path

#: The fuzz server and its bystanders (a module-scoped fixture of ``sockjs_watch``).
watch = sockjs_watch.watch


# -- frames ---------------------------------------------------------------------------------------

core_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["event", "ack", "message", "connect", "nope", None]) | json_values},
    optional={"event": st.sampled_from(["echo", "nope", "", "disconnect", "error"]) | json_values,
              "args": json_values, "id": json_values, "data": json_values},
).map(json.dumps)
signal_frames = st.fixed_dictionaries(
    {"event": st.sampled_from(["ping", "ping_me", "whoami", "nope", "import", "a b", "message"]) | json_values},
    optional={"data": json_values | st.dictionaries(st.sampled_from(["a", "signal", "sender", "self", "1x"]),
                                                     json_values, max_size=3)},
).map(json.dumps)
#: Well-framed events and signals whose data nests deeply (each answered or broadcast back).
deep_frames = st.one_of(
    deep_json(max_depth=1200).map(lambda d: '{"type":"event","event":"echo","id":1,"args":[' + d + "]}"),
    deep_json(max_depth=1200).map(lambda d: '{"type":"message","data":' + d + "}"),
    deep_json(max_depth=1200).map(lambda d: '{"event":"ping_me","data":{"a":' + d + "}}"),
)
#: One message (a string inside the SockJS array): our framing with odd content, or anything.
messages = st.one_of(core_frames, signal_frames, deep_frames, garbage, deep_json(max_depth=1200),
                     json_values.map(json.dumps))
#: A whole websocket frame / xhr_send body: usually an array of messages, often not.
bodies = st.one_of(
    st.lists(messages, min_size=1, max_size=3).map(json.dumps),
    st.lists(json_values, max_size=3).map(json.dumps),  # arrays of non-strings
    json_values.map(json.dumps),  # not an array
    garbage,  # not JSON
    deep_json(),
    giant_string(LIMIT).map(lambda s: f"[{json.dumps(s)}]"),  # a message around the limit
)


@fuzz
@given(prefix=st.sampled_from(["/sockjs", "/sockjs", "/simple", "/plain"]),
       frames=st.lists(bodies | random_bytes, min_size=1, max_size=3))
def websocket_case(watch, run, prefix, frames):
    with SockJSWebSocket(watch.server, prefix) as s:
        run.frames(s, frames, sent=len(frames) + 1)


def test_websocket_frames(watch):
    """Bad SockJS websocket frames: broken JSON, non-arrays, non-strings, giant and deep messages."""
    watch.run("websocket frames", websocket_case)


@fuzz
@given(prefix=st.sampled_from(["/sockjs", "/simple", "/plain"]), body=bodies | random_bytes)
def xhr_send_case(watch, run, prefix, body):
    base = watch.server.url + session_path(prefix)
    assert requests.post(base + "/xhr", timeout=10).text == "o\n"
    status = requests.post(base + "/xhr_send", data=body if isinstance(body, bytes) else body.encode(), timeout=10)
    after = requests.post(base + "/xhr_send", data=json.dumps([SYNC[prefix][0]]), timeout=10)
    run.case(f"{status.status_code}/{'open' if after.status_code == 204 else 'closed'}", sent=3, sessions=1)


def test_xhr_send_bodies(watch):
    """The same bodies over xhr_send; the session is checked with a valid message after each."""
    watch.run("xhr_send bodies", xhr_send_case)


# -- JSONP callbacks ------------------------------------------------------------------------------------

callbacks = st.one_of(
    st.sampled_from(["cb", "a.b_1", "", "alert(1)//", "</script><script>alert(1)</script>", "x" * 300, "a;b", "a\nb"]),
    st.text(max_size=40),
)
SAFE_CALLBACK = __import__("re").compile(r"[A-Za-z0-9_.$]+\Z")


@fuzz
@given(transport=st.sampled_from(["jsonp", "htmlfile", "jsonp_send"]), callback=callbacks, payload=bodies)
def jsonp_case(watch, run, transport, callback, payload):
    base = watch.server.url + session_path("/sockjs")
    if transport == "jsonp_send":
        requests.post(base + "/xhr", timeout=10)  # a session to send to (where jsonp_send is served)
        data = ("d=" + quote(payload)).encode()
        response = requests.post(f"{base}/jsonp_send", data=data, timeout=10,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        run.case(f"jsonp_send {response.status_code}", sent=3, sessions=1)
        return
    with requests.get(f"{base}/{transport}", params={"c": callback}, stream=True, timeout=10) as response:
        first = next(response.iter_content(4096), b"").decode("utf-8", "replace")
    if callback and response.status_code == 200 and callback in first:
        assert SAFE_CALLBACK.match(callback), f"{transport} echoed callback {callback!r} into {first[:300]!r}"
    run.case(f"{transport} {response.status_code}", sent=2)  # Django and tornado log a 404 each


def test_jsonp_callbacks(watch):
    """Callbacks of every shape on jsonp and htmlfile, and odd jsonp_send forms: a callback is
    echoed into a script only if it is a plain identifier path (where these transports are served)."""
    watch.run("JSONP callbacks", jsonp_case)


# -- HTTP -------------------------------------------------------------------------------------------------

PATHS = [
    "/",
    "/healthz",
    "/sockjs",
    "/sockjs/info",
    "/sockjs/iframe.html",
    "/sockjs/000/fuzzsession/xhr",
    "/sockjs/000/fuzzsession/xhr_send",
    "/sockjs/000/fuzzsession/xhr_streaming",
    "/sockjs/000/fuzzsession/eventsource",
    "/sockjs/000/fuzzsession/websocket",
    "/sockjs/websocket",
    "/simple/info",
    "/plain/000/fuzzsession/xhr_send",
    "/static/realtime/realtime.js",
    "*",
]


http_case = http_case_for(PATHS)


def test_http_requests(watch):
    """Bad methods, headers and bodies (a large Content-Length announced, little sent) on every path kind."""
    watch.run("HTTP requests", http_case)
