"""The SockJS protocol (0.3.3), checked with raw HTTP and websocket requests on a live ``runsocket``.

Every point is checked on the core endpoint (``/sockjs``), a client-signal
endpoint (``/simple``) and a plain sockjs-tornado ``SockJSConnection``
(``/plain``), where it applies to them. Sessions the server closes in
``on_open``: ``/plain_close`` (``c[3000,"Go away!"]``, or ``?code=&reason=``),
``/closing`` (a ``SignalConnection`` calling ``close()``), and the core
endpoint with ``?refuse=1`` (4403) or ``?disconnect=1`` (4000).
"""

import http.client
import json
import re
import socket
import time
import uuid
from urllib.parse import urlencode, urlsplit

import pytest
import websocket
from django.test import override_settings

from realtime.origins import origin_allowed
from realtime.testing import LiveServer
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS

ENDPOINTS = ["/sockjs", "/simple", "/plain"]
NO_CACHE = "no-store, no-cache, no-transform, must-revalidate, max-age=0"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# endpoint (with query) -> the close frame a session gets when the server closes it while it opens
CLOSING = {
    "/plain_close": [3000, "Go away!"],
    "/plain_close?code=4001&reason=" + "%22quoted%22%20%5C%20%C3%A9": [4001, '"quoted" \\ é'],
    "/closing": [4000, "disconnect"],
    "/sockjs?refuse=1": [4403, "refused"],
    "/sockjs?disconnect=1": [4000, "disconnect"],
}


# -- raw helpers -----------------------------------------------------------------------
class Raw:
    """One raw HTTP request; ``read()`` gives the next chunk of a streaming body."""

    def __init__(self, server, method, path, body=None, headers=None, timeout=10):
        self.conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.url).port, timeout=timeout)
        self.conn.request(method, path, body=body, headers=headers or {})
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = self.response.headers

    def body(self):
        try:
            return self.response.read().decode()
        finally:
            self.conn.close()

    def read(self):
        return self.response.read1(65536).decode()

    def close(self):
        self.conn.close()


def request(server, method, path, body=None, headers=None):
    r = Raw(server, method, path, body, headers)
    return r.status, r.headers, r.body()


def session_path(endpoint):
    path, _, query = endpoint.partition("?")
    return f"{path}/000/{uuid.uuid4().hex}", ("?" + query) if query else ""


def ws_url(server, path):
    return server.url.replace("http://", "ws://") + path


def first_message(endpoint):
    """A message the endpoint answers, and a text its answer contains."""
    if endpoint == "/sockjs":
        return json.dumps({"type": "event", "event": "echo", "args": ["marco"], "id": 1}), "marco"
    if endpoint == "/simple":
        return json.dumps({"event": "ping_me", "data": {}}), "just you"
    return "marco", "echo:marco"


def poll_until(poll, needle, tries=20):
    """Call ``poll()`` (one frame or body per call) until ``needle`` is in what it returned."""
    seen = []
    for _ in range(tries):
        seen.append(poll())
        if needle in seen[-1]:
            return seen
    raise AssertionError(f"{needle!r} never came; got {seen!r}")


@pytest.fixture
def new_log(sockjs_server):
    """What the shared server logs from now on (other tests' deliberate errors stay out)."""
    start = len(sockjs_server.log())
    return lambda: sockjs_server.log()[start:]


@pytest.fixture(scope="module")
def open_server():
    """``REALTIME_ALLOWED_ORIGINS = ["*"]``, jsonp and htmlfile turned off on ``/simple``."""
    settings = {
        "REALTIME_ALLOWED_ORIGINS": ["*"],
        "REALTIME_SOCKJS_OPTIONS": {"/simple": {"disabled_transports": ["jsonp", "htmlfile"]}},
    }
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS, "REALTIME_TEST_SETTINGS": json.dumps(settings)}
    with LiveServer("runsocket", extra_apps=TEST_APPS, env=env) as server:
        yield server


# -- 1. jsonp and htmlfile, safely --------------------------------------------------------
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_jsonp_polling_round_trip_with_form_and_raw_bodies(sockjs_server, endpoint):
    path, _ = session_path(endpoint)
    status, headers, body = request(sockjs_server, "GET", path + "/jsonp?c=_jp.a1")
    assert (status, body) == (200, '/**/_jp.a1("o");\r\n')
    assert headers["Content-Type"] == "application/javascript; charset=UTF-8"
    assert headers["Cache-Control"] == NO_CACHE
    message, answer = first_message(endpoint)
    form = urlencode({"d": json.dumps([message])})
    status, headers, body = request(sockjs_server, "POST", path + "/jsonp_send", form, FORM)
    assert (status, body, headers["Content-Type"]) == (200, "ok", "text/plain; charset=UTF-8")
    assert headers["Cache-Control"] == NO_CACHE
    frames = poll_until(lambda: request(sockjs_server, "GET", path + "/jsonp?c=cb")[2], answer)
    assert all(f.startswith("/**/cb(") and f.endswith(");\r\n") for f in frames)
    raw = json.dumps([message])  # a raw body, any other content type
    status, _, body = request(sockjs_server, "POST", path + "/jsonp_send", raw, {"Content-Type": "text/plain"})
    assert (status, body) == (200, "ok")
    poll_until(lambda: request(sockjs_server, "GET", path + "/jsonp?c=cb")[2], answer)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_jsonp_and_htmlfile_refuse_bad_callbacks_and_bodies(sockjs_server, endpoint, new_log):
    for transport in ("jsonp", "htmlfile"):
        status, _, body = request(sockjs_server, "GET", f"{endpoint}/a/a/{transport}")
        assert (status, body) == (500, '"callback" parameter required')
        for callback in ("%20", "*", "abc(", "abc%28", "alert(1)//", "a%0Ab", "abc%0A", "%C3%A9"):
            status, _, body = request(sockjs_server, "GET", f"{endpoint}/a/a/{transport}?c={callback}")
            assert (status, body) == (500, 'invalid "callback" parameter'), callback
    path, _ = session_path(endpoint)
    assert request(sockjs_server, "GET", path + "/jsonp?c=x")[2] == '/**/x("o");\r\n'
    for data in ("", "d=", "p=p"):
        assert request(sockjs_server, "POST", path + "/jsonp_send", data, FORM)[::2] == (500, "Payload expected.")
    for data in ("d=%5B%22x", "d=%7B%7D", "d=" + "%5B" * 2500):
        assert request(sockjs_server, "POST", path + "/jsonp_send", data, FORM)[::2] == (500, "Broken JSON encoding.")
    assert request(sockjs_server, "POST", path + "/jsonp_send", "[1", {"Content-Type": "text/plain"})[0] == 500
    assert request(sockjs_server, "POST", f"{endpoint}/000/nosuchsession/jsonp_send", "d=%5B%5D", FORM)[0] == 404
    assert "Traceback" not in new_log()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_htmlfile_streams_inert_script_frames(sockjs_server, endpoint):
    path, _ = session_path(endpoint)
    stream = Raw(sockjs_server, "GET", path + "/htmlfile?c=_jp.a1b2")
    assert stream.status == 200 and stream.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert stream.headers["Cache-Control"] == NO_CACHE
    head = stream.read()
    assert "var c = parent._jp.a1b2;" in head and len(head) > 1024
    assert stream.read() == '<script>\np("o");\n</script>\r\n'
    message, answer = first_message(endpoint)
    assert request(sockjs_server, "POST", path + "/xhr_send", json.dumps([message]))[0] == 204
    poll_until(stream.read, answer)
    if endpoint == "/plain":  # the echo sends back what we send: try to break out of the <script>
        evil = "</script><script>alert(1)</script>&"
        request(sockjs_server, "POST", path + "/xhr_send", json.dumps([evil]))
        frame = poll_until(stream.read, "alert")[-1]
        assert "</script><script>" not in frame and "\\u003c/script\\u003e" in frame
        assert json.loads(frame[len("<script>\np(") : -len(");\n</script>\r\n")]) == 'a["echo:' + evil + '"]'
    stream.close()


def test_jsonp_and_htmlfile_can_be_turned_off_per_endpoint(open_server):
    for transport in ("jsonp?c=x", "htmlfile?c=x", "jsonp_send"):
        method, body = ("POST", "d=[]") if transport == "jsonp_send" else ("GET", None)
        assert request(open_server, method, f"/simple/000/s{uuid.uuid4().hex}/{transport}", body, FORM)[0] == 404
    assert request(open_server, "GET", f"/sockjs/000/{uuid.uuid4().hex}/jsonp?c=x")[2] == '/**/x("o");\r\n'


# -- 2. the iframe page --------------------------------------------------------------------
IFRAME = re.compile(
    r"""^<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script src="(?P<sockjs_url>[^"]*)"></script>
  <script>
    document.domain = document.domain;
    SockJS.bootstrap_iframe\(\);
  </script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>$"""
)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_iframe_page_is_sockjs_client_1x_cached_and_not_frameable_cross_site(sockjs_server, endpoint):
    etags = set()
    for page in ("/iframe.html", "/iframe-1.6.1.html", "/iframe-a.html?t=1234"):
        status, headers, body = request(sockjs_server, "GET", endpoint + page)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=UTF-8"
        match = IFRAME.match(body.strip())
        assert match and match["sockjs_url"] == "/static/realtime/sockjs.min.js"  # ours, not a CDN
        assert "public" in headers["Cache-Control"] and "max-age=31536000" in headers["Cache-Control"]
        assert headers["Expires"] and not headers["Last-Modified"] and not headers["Set-Cookie"]
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        etags.add(headers["ETag"])
    (etag,) = etags
    status, headers, body = request(sockjs_server, "GET", endpoint + "/iframe.html", headers={"If-None-Match": etag})
    assert (status, body, headers["Content-Type"]) == (304, "", None)
    assert request(sockjs_server, "GET", endpoint + "/iframe.html", headers={"If-None-Match": '"x"'})[0] == 200
    for bad in ("/iframe.htm", "/IFRAME.HTML", "/iframe-/.html"):
        assert request(sockjs_server, "GET", endpoint + bad)[0] == 404


# -- 3. close() anywhere, on every transport ---------------------------------------------------
def close_frame_of(code_reason):
    return "c" + json.dumps(code_reason, separators=(",", ":"))


@pytest.mark.parametrize("endpoint", list(CLOSING))
def test_close_in_on_open_on_polling_transports(sockjs_server, endpoint, new_log):
    expected = close_frame_of(CLOSING[endpoint])
    path, query = session_path(endpoint)
    polls = [request(sockjs_server, "POST", path + "/xhr" + query) for _ in range(1)]
    assert polls[0][::2] == (200, "o\n")
    frames = poll_until(lambda: request(sockjs_server, "POST", path + "/xhr" + query)[2], expected)
    assert frames[-1] == expected + "\n"
    assert request(sockjs_server, "POST", path + "/xhr" + query)[2] == expected + "\n"  # and again, at once
    path, query = session_path(endpoint)
    sep = "&" if query else "?"
    assert request(sockjs_server, "GET", path + "/jsonp" + query + sep + "c=x")[2] == '/**/x("o");\r\n'
    frames = poll_until(lambda: request(sockjs_server, "GET", path + "/jsonp" + query + sep + "c=x")[2], "c[")
    assert frames[-1] == "/**/x(%s);\r\n" % json.dumps(expected)
    assert "HTTPOutputError" not in new_log() and "Traceback" not in new_log()


@pytest.mark.parametrize("endpoint", list(CLOSING))
@pytest.mark.parametrize("transport", ["xhr_streaming", "eventsource", "htmlfile"])
def test_close_in_on_open_on_streaming_transports(sockjs_server, endpoint, transport, new_log):
    expected = close_frame_of(CLOSING[endpoint])
    path, query = session_path(endpoint)
    method = "POST" if transport == "xhr_streaming" else "GET"
    suffix = {"htmlfile": ("&" if query else "?") + "c=cb"}.get(transport, "")
    stream = Raw(sockjs_server, method, f"{path}/{transport}{query}{suffix}")
    stream.read()  # prelude
    received = "".join(poll_until(stream.read, "c["))
    assert json.dumps(expected)[1:-1] in received or expected in received
    assert stream.read() == ""  # the response ends after the close frame
    again = Raw(sockjs_server, method, f"{path}/{transport}{query}{suffix}")
    again.read()
    assert "c[" in "".join(poll_until(again.read, "c["))
    assert "Traceback" not in new_log()


@pytest.mark.parametrize("endpoint", list(CLOSING))
def test_close_in_on_open_on_websockets(sockjs_server, endpoint):
    path, query = session_path(endpoint)
    ws = websocket.create_connection(ws_url(sockjs_server, f"{path}/websocket{query}"), timeout=10)
    assert ws.recv() == "o"
    frames = poll_until(ws.recv, "c[")
    assert frames[-1] == close_frame_of(CLOSING[endpoint])
    ws.close()
    # the raw websocket: the websocket close itself carries the code and the reason
    prefix, _, query = endpoint.partition("?")
    raw = websocket.create_connection(ws_url(sockjs_server, f"{prefix}/websocket?{query}"), timeout=10)
    while True:
        opcode, data = raw.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
    assert [int.from_bytes(data[:2], "big"), data[2:].decode()] == CLOSING[endpoint]
    raw.close()


# -- 4. broken JSON on a websocket ------------------------------------------------------------
def assert_dropped_without_close_frame(ws):
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        for _ in range(5):
            opcode, _data = ws.recv_data(control_frame=True)
            assert opcode != websocket.ABNF.OPCODE_CLOSE, "a close frame: the protocol wants an abrupt close"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_broken_json_closes_the_websocket_abruptly(sockjs_server, endpoint, new_log):
    ws = websocket.create_connection(ws_url(sockjs_server, session_path(endpoint)[0] + "/websocket"), timeout=10)
    assert ws.recv() == "o"
    ws.send('["a')
    assert_dropped_without_close_frame(ws)
    if endpoint != "/plain":  # a plain connection's raw websocket carries any text
        raw = websocket.create_connection(ws_url(sockjs_server, endpoint + "/websocket"), timeout=10)
        raw.send("{{{ not json")
        assert_dropped_without_close_frame(raw)
    message, answer = first_message(endpoint)
    raw = websocket.create_connection(ws_url(sockjs_server, endpoint + "/websocket"), timeout=10)
    raw.send(message)
    poll_until(raw.recv, answer)  # the server still serves
    raw.close()
    log = new_log()
    assert "broken JSON" in log and "Traceback" not in log


def test_raw_websocket_carries_our_frames_and_broadcasts(sockjs_server):
    """``/sockjs/websocket``: no SockJS framing, each websocket message is one of our frames."""
    raw = websocket.create_connection(ws_url(sockjs_server, "/sockjs/websocket"), timeout=10)
    assert json.loads(poll_until(raw.recv, '"connect"')[-1])["type"] == "connect"
    raw.send(json.dumps({"type": "event", "event": "join", "args": ["raw-room"], "id": 1}))
    poll_until(raw.recv, "raw-room")
    other = websocket.create_connection(ws_url(sockjs_server, "/sockjs/000/%s/websocket" % uuid.uuid4().hex))
    other.send(json.dumps([json.dumps({"type": "event", "event": "to_room", "args": ["raw-room", "hi raw"]})]))
    frame = json.loads(poll_until(raw.recv, "room_message")[-1])
    assert frame == {"type": "event", "event": "room_message", "args": ["hi raw"]}
    raw.close()
    other.close()


# -- 5. headers and status codes ---------------------------------------------------------------
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_headers_and_status_codes(sockjs_server, endpoint):
    path, _ = session_path(endpoint)
    status, headers, body = request(sockjs_server, "POST", path + "/xhr")
    assert (status, body, headers["Cache-Control"]) == (200, "o\n", NO_CACHE)
    assert headers["Content-Type"] == "application/javascript; charset=UTF-8"
    status, headers, body = request(sockjs_server, "POST", path + "/xhr_send", "[]")
    assert (status, body, headers["Content-Type"]) == (204, "", "text/plain; charset=UTF-8")
    assert headers["Cache-Control"] == NO_CACHE
    status, headers, _ = request(sockjs_server, "GET", endpoint + "/info")
    assert headers["Cache-Control"] == NO_CACHE and not headers["Expires"]
    for transport in ("xhr_streaming", "eventsource"):
        stream = Raw(sockjs_server, "POST" if transport == "xhr_streaming" else "GET", f"{path}{transport}/{transport}")
        assert stream.headers["Cache-Control"] == NO_CACHE
        if transport == "eventsource":
            assert stream.headers["Content-Type"] == "text/event-stream"
            assert stream.read() == "\r\n" and stream.read() == "data: o\r\n\r\n"
        stream.close()
    for url in (endpoint + "/websocket", path + "/websocket"):
        for headers in ({}, {"Upgrade": "websocket", "Connection": "Upgrade"}):
            status, got, body = request(sockjs_server, "POST", url, "", headers)
            assert (status, body, got["Content-Type"]) == (405, "", None) and got["Allow"] == "GET"


def test_http_10_keep_alive_streaming_is_closed_after_the_close_frame(sockjs_server):
    path, _ = session_path("/plain_close")
    with socket.create_connection(("127.0.0.1", urlsplit(sockjs_server.url).port), timeout=10) as sock:
        sock.sendall(
            f"POST {path}/xhr_streaming HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n".encode()
        )
        data, deadline = b"", time.monotonic() + 10
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break  # closed by the server: the body is complete
            data += chunk
        else:
            raise AssertionError(f"still open after the close frame: {data[-100:]!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert body == b"h" * 2048 + b"\no\nc[3000,\"Go away!\"]\n"


# -- 6. origins and CORS ------------------------------------------------------------------------
def test_websocket_scheme_origins_count_as_their_http_scheme():
    here = {"HTTP_HOST": "example.com", "wsgi.url_scheme": "http", "REMOTE_ADDR": "203.0.113.9"}
    with override_settings(REALTIME_ALLOWED_ORIGINS=["http://example.com", "https://example.com"]):
        assert origin_allowed("ws://example.com", here) and origin_allowed("WSS://example.com", here)
        assert not origin_allowed("ws://evil.example", here) and not origin_allowed("ftp://example.com", here)
    with override_settings(REALTIME_ALLOWED_ORIGINS=["https://example.com"]):
        assert origin_allowed("wss://example.com", here) and not origin_allowed("ws://example.com", here)


def test_origin_default_is_exact_and_accepts_websocket_origins(sockjs_server):
    """By default only the server's own origin (scheme, host and port) may connect; ws:// names it too."""
    own = "127.0.0.1:%d" % urlsplit(sockjs_server.url).port  # the page's own host, as a websocket client names it
    refused = (f"wss://{own}", "ws://127.0.0.1:3", "ws://evil.example")  # another scheme, another port, another site
    for origin, allowed in ((f"ws://{own}", True), *((o, False) for o in refused)):
        url = ws_url(sockjs_server, session_path("/simple")[0] + "/websocket")
        if allowed:
            ws = websocket.create_connection(url, origin=origin, timeout=10)
            assert ws.recv() == "o"
            ws.close()
        else:
            with pytest.raises(websocket.WebSocketBadStatusException):
                websocket.create_connection(url, origin=origin, timeout=10)
    for endpoint in ENDPOINTS:
        path, _ = session_path(endpoint)
        assert request(sockjs_server, "POST", path + "/xhr", headers={"Origin": "http://evil.example"})[0] == 403
        assert request(sockjs_server, "POST", path + "/xhr", headers={"Origin": "http://localhost:3"})[0] == 403
        status, headers, _ = request(sockjs_server, "POST", path + "/xhr", headers={"Origin": f"http://{own}"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == f"http://{own}"
        assert headers["Access-Control-Allow-Credentials"] == "true"
        status, headers, _ = request(sockjs_server, "POST", path + "/xhr_send", "[]")  # no Origin: not a browser
        assert headers["Access-Control-Allow-Origin"] == "*" and not headers["Access-Control-Allow-Credentials"]


@pytest.mark.parametrize("endpoint", ["/sockjs", "/simple", "/plain"])
def test_any_origin_behaves_as_the_reference_servers_cors(open_server, endpoint):
    for origin in ("test", "null", "http://elsewhere.example"):
        cors = {"Origin": origin}
        path, _ = session_path(endpoint)
        for method, url in (("GET", endpoint + "/info"), ("POST", path + "/xhr"), ("POST", path + "/xhr_send")):
            status, headers, _ = request(open_server, method, url, "[]" if url.endswith("send") else None, cors)
            assert status in (200, 204), (url, status)
            assert headers["Access-Control-Allow-Origin"] == origin
            assert headers["Access-Control-Allow-Credentials"] == "true"
        for url in (endpoint + "/info", path + "/xhr", path + "/xhr_send", path + "/xhr_streaming"):
            preflight = {**cors, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "a, b"}
            status, headers, body = request(open_server, "OPTIONS", url, None, preflight)
            assert status == 204 and body == "" and headers["Access-Control-Allow-Origin"] == origin
            assert headers["Access-Control-Allow-Headers"] == "a, b" and "max-age=31536000" in headers["Cache-Control"]
        ws = websocket.create_connection(ws_url(open_server, path + "/websocket"), origin=origin, timeout=10)
        assert ws.recv() == "o"
        ws.close()
