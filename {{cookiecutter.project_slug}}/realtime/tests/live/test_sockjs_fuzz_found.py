"""Bad input the fuzzer found against ``runsocket``, replayed by hand (each once, with its fix's check).

Each case names what it broke before (a traceback, an ERROR line); the
server is ``sockjs_watch``'s, checked after each case like a fuzz batch.
"""

import json

import pytest
import requests

from realtime.tests.live.fuzzing import (
    send_http,
)

from realtime.tests.live import sockjs_watch
from realtime.tests.live.sockjs_watch import SYNC, SockJSWebSocket, session_path

#: The fuzz server and its bystanders (a module-scoped fixture of ``sockjs_watch``).
watch = sockjs_watch.watch


@pytest.mark.parametrize("transport", ["websocket", "xhr_send"])
@pytest.mark.parametrize("prefix", ["/sockjs", "/plain"])
def test_non_string_messages_are_dropped_with_one_line(watch, transport, prefix):
    """Found by the fuzzer: a body that is not an array raised in sockjs-tornado's xhr_send (a
    traceback), and a number reached a plain SockJSConnection, which failed on it (a traceback)."""
    before = watch.server.log().count("a message is a string")
    if transport == "websocket":
        with SockJSWebSocket(watch.server, prefix) as s:
            s.send(["5", '[1, {"a": 2}]'])
            assert s.outcome() == "answered"
    else:
        base = watch.server.url + session_path(prefix)
        assert requests.post(base + "/xhr", timeout=10).text == "o\n"
        assert requests.post(base + "/xhr_send", data=b"5", timeout=10).status_code == 204
        assert requests.post(base + "/xhr_send", data=json.dumps([SYNC[prefix][0]]), timeout=10).status_code == 204
    watch.check(budget=5)
    assert watch.server.log().count("a message is a string") == before + (2 if transport == "websocket" else 1)


def test_broken_json_over_xhr_send_is_a_warning(watch):
    """The protocol's 500 "Broken JSON encoding." is the client's fault: a WARNING line, not ERROR."""
    base = watch.server.url + session_path("/sockjs")
    assert requests.post(base + "/xhr", timeout=10).text == "o\n"
    response = requests.post(base + "/xhr_send", data=b"[broken", timeout=10)
    assert (response.status_code, response.text) == (500, "Broken JSON encoding.")
    watch.check(budget=3)
    assert "WARNING tornado.access" in watch.server.log().splitlines()[-1] or any(
        "500 POST" in line and "WARNING" in line for line in watch.server.log().splitlines()[-5:]
    )


def test_head_requests_are_answered_without_a_body(watch):
    """Found by the fuzzer: HEAD to a Django page (tornado's WSGIContainer) and an over-size HEAD
    to a SockJS URL (the gate's 413) both wrote a body tornado refused: a traceback each."""
    for raw in (
        b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"HEAD /sockjs/000/abc/xhr_send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n",
    ):
        assert send_http(watch.server.port, raw) in ("200", "413"), raw
    watch.check(budget=4)
