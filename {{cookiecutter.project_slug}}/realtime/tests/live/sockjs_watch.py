"""The fuzz runs' live ``runsocket --django`` and a raw SockJS websocket session, for ``test_sockjs_fuzz*``.

``watch`` is a server of its own with bystanders on ``/sockjs`` and
``/simple`` whose round trips :class:`ServerWatch` checks after every batch
of cases; ``SYNC`` is the message per endpoint whose answer proves the
server read everything sent before it.
"""

import json
import uuid

import pytest
import websocket

from realtime.testing import LiveServer, SockJSTestClient
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS
from realtime.tests.live.fuzz_wire import CLOSED, RawWebSocket, receive_until
from realtime.tests.live.fuzzing import (
    SERVER_ENV,
    ServerWatch,
)

SYNC_ID = 987654321


@pytest.fixture(scope="module")
def watch():
    """A server of its own (its log and memory are the fuzz run's), with three bystanders."""
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS, "REALTIME_TEST_HEARTBEAT": "2", **SERVER_ENV}
    with LiveServer("runsocket", args=["--django"], extra_apps=TEST_APPS, env=env) as server:
        ws = SockJSTestClient(server.url + "/sockjs")
        xhr = SockJSTestClient(server.url + "/sockjs", transport="xhr")
        signals = SockJSTestClient(server.url + "/simple")

        def round_trips():
            token = uuid.uuid4().hex
            assert ws.emit("echo", token, timeout=10) == token
            assert xhr.emit("echo", token, timeout=10) == token
            ws.emit("broadcast", token, ack=False)
            assert receive_until(xhr, "broadcast", token) == token
            signals.signal("ping_me")
            assert receive_until(signals, "pong", "just you", key="pong")["sid"]

        watch = ServerWatch(server, round_trips, "sockjs")
        for _ in range(20):  # warm-up: the code paths every case takes, so their caches are in the baseline
            with SockJSWebSocket(server, "/sockjs") as s:
                s.send(['["{\\"type\\":\\"event\\",\\"event\\":\\"nope\\"}"]'])
                s.outcome()
        watch.settle()
        yield watch
        for client in (ws, xhr, signals):
            client.close()


def session_path(prefix):
    return f"{prefix}/{uuid.uuid4().int % 1000:03d}/{uuid.uuid4().hex[:12]}"


#: A message each endpoint answers, and how to recognise the answer in a frame.
SYNC = {
    "/sockjs": (json.dumps({"type": "event", "event": "echo", "args": ["sync"], "id": SYNC_ID}), str(SYNC_ID)),
    "/simple": (json.dumps({"event": "ping_me", "data": {}}), "just you"),
    "/plain": ("sync", "echo:sync"),
}


class SockJSWebSocket(RawWebSocket):
    """One raw SockJS websocket session (``o``/``a``/``h``/``c`` frames) on ``prefix``."""

    def __init__(self, server, prefix):
        self.prefix = prefix
        url = server.url.replace("http://", "ws://") + session_path(prefix) + "/websocket"
        self.ws = websocket.create_connection(url, timeout=5)
        assert self.ws.recv() == "o"

    def outcome(self):
        """``closed``, ``answered`` (the endpoint still serves this session) or ``silent``."""
        message, answer = SYNC[self.prefix]
        try:
            self.ws.send(json.dumps([message]))
            self.ws.settimeout(3)
            while True:
                frame = self.ws.recv()
                if not frame or frame.startswith("c"):
                    return "closed"
                if frame.startswith("a") and answer in frame:
                    return "answered"
        except websocket.WebSocketTimeoutException:
            return "silent"
        except CLOSED:
            return "closed"
