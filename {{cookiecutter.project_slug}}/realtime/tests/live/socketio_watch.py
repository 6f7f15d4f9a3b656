"""The fuzz runs' live ``rungevent`` and a raw Engine.IO websocket session, for ``test_socketio_fuzz*``.

``watch`` is a server of its own with three bystanders (websocket,
long-polling, client signals) whose round trips :class:`ServerWatch` checks
after every batch of cases.
"""

import uuid

import pytest
import websocket

from realtime.testing import LiveServer, SocketIOTestClient
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS
from realtime.tests.live.fuzz_wire import CLOSED, RawWebSocket, receive_until
from realtime.tests.live.fuzzing import (
    SERVER_ENV,
    ServerWatch,
)


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


class EioWebSocket(RawWebSocket):
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

    def outcome(self):
        """``closed`` or ``open``: two UPGRADE probes (each answered NOOP) let the server read and handle all."""
        try:
            for _ in range(2):
                self.ws.send("5")
                self.until(lambda f: f == "6")
        except CLOSED:
            return "closed"
        return "open"
