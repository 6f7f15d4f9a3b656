"""``runsocket``'s HTTP (SockJS 0.3.3): headers, status codes, keep-alive, origins and CORS.

Raw requests (see ``sockjs_wire``) on ``/sockjs``, ``/simple`` and ``/plain``.
"""

import socket
import time
from urllib.parse import urlsplit

import pytest
import websocket
from django.test import override_settings

from realtime.origins import origin_allowed

from realtime.tests.live import sockjs_wire
from realtime.tests.live.sockjs_wire import (
    ENDPOINTS,
    NO_CACHE,
    Raw,
    request,
    session_path,
    ws_url,
)

#: Fixtures of ``sockjs_wire``: the server's log from now on, and a server that allows any origin.
new_log = sockjs_wire.new_log
open_server = sockjs_wire.open_server


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
