"""SockJS request bodies are judged on their headers (issue 16, point 3).

The attack: a POST to ``xhr_send`` announcing a huge body, or coming from a
foreign page. tornado alone buffers the body (up to 100 MB) before any
check runs; :mod:`realtime.transports.sockjs.gate` answers 413 or 403 from
the headers and closes the connection with the body unread. Raw HTTP over a
TCP socket, so the tests send exactly what an attacker would, and nothing
bigger than 16 MB. The live server (``sockjs_server``) has
``REALTIME_MAX_MESSAGE_BYTES = 8192``.
"""

import http.client
import socket
import threading
import time
import uuid

import pytest
from tornado import httputil
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer

from realtime.testing import SockJSTestClient
from realtime.transports.sockjs.gate import FRAMING_MARGIN, JSON_EXPANSION, RequestGate, _GatedRequest
from realtime.tests.live.probes import healthz_seconds, rss_kb, wait_for_log

LIMIT = 8192 * JSON_EXPANSION + FRAMING_MARGIN  # the largest xhr_send body sockjs_server accepts


def session_path(suffix):
    return f"/sockjs/000/{uuid.uuid4().hex[:12]}/{suffix}"


class RawHTTP:
    """One HTTP/1.1 request by hand: headers now, the body when (and if) we choose."""

    def __init__(self, server, method, path, headers):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""

    def response(self, timeout=5):
        """``(status, body)`` of the answer; raises ``TimeoutError`` if none comes."""
        self.sock.settimeout(timeout)
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"closed without an answer: {self.buffer!r}")
            self.buffer += chunk
        head, rest = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", 0))
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.buffer = rest[length:]
        return int(lines[0].split()[1]), rest[:length]

    def closed_by_server(self, timeout=2):
        """True once the server has closed the connection (EOF or reset) within ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass
        except TimeoutError:
            return False
        return True

    def close(self):
        self.sock.close()


# -- tornado's interfaces the gate relies on --------------------------------------------


def test_tornado_still_hands_requests_to_a_connection_delegate():
    """Fails loudly if tornado stops routing requests through the delegate we give HTTPServer."""
    for name in ("set_max_body_size", "write_headers", "finish"):
        assert callable(getattr(HTTP1Connection, name)), name

    class Application(httputil.HTTPServerConnectionDelegate):
        def start_request(self, server_conn, request_conn):
            return httputil.HTTPMessageDelegate()

    gate = RequestGate(Application(), ["/sockjs", "/simple/"])
    delegate = HTTPServer(gate).start_request(object(), object())
    assert isinstance(delegate, _GatedRequest) and delegate.gate is gate
    assert gate.is_sockjs("/sockjs/000/abc/xhr_send?x=1") and gate.is_sockjs("/simple/info")
    assert not gate.is_sockjs("/sockjs") and not gate.is_sockjs("/sockjs/") and not gate.is_sockjs("/chat/")


# -- the attack, live ----------------------------------------------------------------------


def test_oversize_content_length_is_refused_at_once_without_the_body(sockjs_server):
    size = 50 * 1024 * 1024 + int(uuid.uuid4().hex[:4], 16)  # a size unique in the log
    started = time.monotonic()
    request = RawHTTP(sockjs_server, "POST", session_path("xhr_send"), {"Content-Length": size})
    status, body = request.response(timeout=5)  # no body byte was sent
    assert (status, body) == (413, b"message too large\n")
    assert time.monotonic() - started < 2
    assert request.closed_by_server()
    request.close()
    log = wait_for_log(sockjs_server, f"body of {size} bytes")
    assert log.count(f"refused SockJS request from 127.0.0.1: body of {size} bytes is over") == 1


def test_big_bodies_leave_memory_and_the_server_alone(sockjs_server):
    """Four clients push 16 MB bodies at xhr_send, xhr and xhr_streaming; RSS and /healthz hold."""
    pid = sockjs_server.process.pid
    healthz_seconds(sockjs_server)
    before = rss_kb(pid)
    size = 16 * 1024 * 1024
    requests = [
        RawHTTP(sockjs_server, "POST", session_path(suffix), {"Content-Length": size})
        for suffix in ("xhr_send", "xhr_send", "xhr", "xhr_streaming")
    ]
    answers = []

    def push(request):
        try:
            request.sock.sendall(b"[" + b"x" * (size - 2) + b"]")
        except OSError:
            pass  # the server closed the connection under us: what we want
        try:
            answers.append(request.response(timeout=5)[0])
        except (OSError, EOFError):
            answers.append(None)

    threads = [threading.Thread(target=push, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    slowest = max(healthz_seconds(sockjs_server) for _ in range(5))
    for t in threads:
        t.join(30)
    after = rss_kb(pid)
    for r in requests:
        r.close()
    assert after - before < 8 * 1024, f"RSS grew by {(after - before) / 1024:.1f} MB ({before} -> {after} kB)"
    assert slowest < 1.0, f"/healthz took {slowest:.2f}s during the attack"
    assert answers.count(413) >= 1 and set(answers) <= {413, None}, answers
    with SockJSTestClient(f"{sockjs_server.url}/sockjs", transport="xhr") as c:
        assert c.emit("echo", "after") == "after"


def test_foreign_origin_is_refused_before_the_body(sockjs_server):
    evil = f"http://evil-{uuid.uuid4().hex[:8]}.example"
    started = time.monotonic()
    request = RawHTTP(sockjs_server, "POST", session_path("xhr_send"), {"Content-Length": 5000, "Origin": evil})
    status, body = request.response(timeout=5)  # headers only: the answer cannot have waited for the body
    assert (status, body) == (403, b"origin not allowed\n")
    assert time.monotonic() - started < 2
    assert request.closed_by_server()
    request.close()
    log = wait_for_log(sockjs_server, evil)
    assert log.count(f"refused SockJS request from origin {evil!r}") == 1


def test_chunked_body_over_the_limit_is_cut_off(sockjs_server):
    """No Content-Length to judge: tornado stops reading at our limit (400) instead of 100 MB."""
    request = RawHTTP(sockjs_server, "POST", session_path("xhr_send"), {"Transfer-Encoding": "chunked"})
    chunk = b"x" * 4096
    try:
        for _ in range(LIMIT // len(chunk) + 2):  # a little over the body limit
            request.sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass
    status, _ = request.response(timeout=5)
    assert status == 400
    assert request.closed_by_server()
    request.close()


def test_normal_xhr_send_and_bodies_up_to_the_limit_still_work(sockjs_server):
    with SockJSTestClient(f"{sockjs_server.url}/sockjs", transport="xhr") as c:
        assert c.emit("echo", "small") == "small"
        big = "y" * 8000  # the message is just under 8192 bytes; its body just under the limit
        assert c.emit("echo", big) == big
        escaped = '"' * 4000  # an 8 KB envelope (each quote escaped), 16 KB once the frame escapes it again
        assert c.emit("echo", escaped) == escaped
    allowed = {"Origin": sockjs_server.url}
    with SockJSTestClient(f"{sockjs_server.url}/sockjs", transport="xhr", headers=allowed) as c:
        assert c.emit("echo", "allowed origin") == "allowed origin"


def test_the_gate_covers_sockjs_paths_only(sockjs_server):
    """Django's pages (runsocket --django) keep tornado's own body limit."""
    conn = http.client.HTTPConnection("127.0.0.1", sockjs_server.port, timeout=5)
    conn.request("POST", "/healthz", body=b"z" * (4 * LIMIT), headers={"Content-Type": "text/plain"})
    assert conn.getresponse().status == 405  # tornado's answer for a method the handler lacks, not our 413
    conn.close()


# -- issue 16, point 13: deeply nested JSON --------------------------------------------------


@pytest.mark.parametrize("transport", ["websocket", "xhr"])
def test_deeply_nested_json_is_dropped_with_one_log_line(sockjs_server, transport):
    """JSON nested past Python's recursion limit: refused as malformed, no RecursionError traceback."""
    deep = "[" * 3000 + "]" * 3000  # 6 KB, under the size limits: only its depth is hostile
    before = sockjs_server.log().count("malformed SockJS websocket frame")
    with SockJSTestClient(f"{sockjs_server.url}/sockjs", transport=transport) as c:
        c.send_raw(deep)  # one SockJS message that is too deep: answered, the session goes on
        assert c.receive("error")["error"] == "bad_frame"
        assert c.emit("echo", "after a deep message") == "after a deep message"
        sid = c.sid
    with SockJSTestClient(f"{sockjs_server.url}/sockjs", transport=transport) as c:
        status = c.send_frame(deep)  # the SockJS frame itself is too deep
        if transport == "websocket":
            assert c.wait_closed()[0] == 1006  # closed abruptly, as for any frame that is not JSON
        else:
            assert status == 500  # sockjs-tornado's answer to a body that is not JSON
            assert c.emit("echo", "after a deep frame") == "after a deep frame"
    log = wait_for_log(sockjs_server, f"dropped frame from {sid}")
    assert log.count(f"dropped frame from {sid}: malformed frame: JSON nested too deeply") == 1
    if transport == "websocket":
        assert log.count("malformed SockJS websocket frame") == before + 1
    assert "RecursionError" not in log and "maximum recursion depth" not in log
