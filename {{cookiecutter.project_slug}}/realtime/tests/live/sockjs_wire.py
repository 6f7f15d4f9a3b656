"""Raw SockJS (0.3.3) helpers and servers for ``test_sockjs_protocol_*``: HTTP and websockets, no client.

Every point is checked on the core endpoint (``/sockjs``), a client-signal
endpoint (``/simple``) and a plain sockjs-tornado ``SockJSConnection``
(``/plain``), where it applies to them. Sessions the server closes in
``on_open``: ``/plain_close`` (``c[3000,"Go away!"]``, or ``?code=&reason=``),
``/closing`` (a ``SignalConnection`` calling ``close()``), and the core
endpoint with ``?refuse=1`` (4403) or ``?disconnect=1`` (4000).
"""

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest

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
