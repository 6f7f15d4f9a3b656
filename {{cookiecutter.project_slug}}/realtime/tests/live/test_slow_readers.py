"""A client that never reads is cut off at REALTIME_MAX_QUEUED_BYTES, on every transport path (issue 13 point 4).

The attack: join a busy room, keep the connection (or the polling session)
open, and never read. Without a limit the server queues every message of
the room for that client until it runs out of memory. Here the room gets
8 MB (500 messages of 16 KB, more than the kernel buffers hold) while one
client reads none of it: on each path (Socket.IO websocket and long-polling;
SockJS websocket, xhr-polling and xhr-streaming) the server cuts that client
off once 256 KB wait for it, logs one line, and a client that reads gets
every message.
"""

import json
import socket
import time
import uuid

import pytest
import requests
import websocket

from realtime.testing import LiveServer

from realtime.tests.conftest import TEST_APPS
from .probes import wait_for_log
from .test_ratelimit import TRANSPORTS

LIMIT = 256 * 1024
MESSAGES, SIZE = 500, 16 * 1024
SETTINGS = {"REALTIME_MAX_QUEUED_BYTES": LIMIT, "REALTIME_EVENT_RATE": 0, "REALTIME_USER_EVENT_RATE": 0}
PATHS = {"socketio": ["websocket", "polling"], "sockjs": ["websocket", "xhr", "xhr_streaming"]}


@pytest.fixture(scope="module", params=TRANSPORTS)
def server(request):
    env = {"REALTIME_TEST_SETTINGS": json.dumps(SETTINGS)}
    with LiveServer.for_transport(request.param, extra_apps=TEST_APPS, env=env) as live:
        yield live


def small_receive_buffer():
    """The client's kernel takes little: what it does not read soon waits on the server."""
    return [(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)]


def sockjs_join(room):
    return json.dumps([json.dumps({"type": "event", "event": "join", "args": [room], "id": 1})])


class NeverReader:
    """Joins ``room`` over one path, then reads nothing. ``cut_off()`` tells whether the server gave up on it."""

    def __init__(self, server, path, room):
        self.server, self.path, self.room = server, path, room
        self.base = f"127.0.0.1:{server.port}"
        self.conn = None
        getattr(self, f"_open_{server.transport}_{path}")()

    # -- Socket.IO ------------------------------------------------------------------
    def _open_socketio_websocket(self):
        ws = websocket.create_connection(f"ws://{self.base}/socket.io/?EIO=4&transport=websocket", timeout=10,
                                         sockopt=small_receive_buffer())
        assert ws.recv().startswith("0")
        ws.send("40")
        assert ws.recv().startswith("40")
        ws.send(f'421["join","{self.room}"]')
        while not ws.recv().startswith("431"):  # after the test app's welcome event
            pass
        self.conn = ws

    def _open_socketio_polling(self):
        url = f"http://{self.base}/socket.io/?EIO=4&transport=polling"
        self.http = requests.Session()
        opened = self.http.get(url, timeout=10).text
        self.sid = json.loads(opened[1:])["sid"]
        self.poll = f"{url}&sid={self.sid}"
        assert self.http.post(self.poll, data="40", timeout=10).status_code == 200
        assert self.http.get(self.poll, timeout=10).text.startswith("40")
        assert self.http.post(self.poll, data=f'421["join","{self.room}"]', timeout=10).status_code == 200
        while "431" not in self.http.get(self.poll, timeout=10).text:
            pass

    # -- SockJS ---------------------------------------------------------------------------
    def _sockjs_url(self, transport):
        return f"http://{self.base}/sockjs/000/{self.session}/{transport}"

    def _open_sockjs_websocket(self):
        self.session = uuid.uuid4().hex[:12]
        ws = websocket.create_connection(f"ws://{self.base}/sockjs/000/{self.session}/websocket", timeout=10,
                                         sockopt=small_receive_buffer())
        assert ws.recv() == "o"
        ws.send(sockjs_join(self.room))
        while '\\"ack\\"' not in ws.recv():  # the join's ack (messages are JSON strings in the frame)
            pass
        self.conn = ws

    def _open_sockjs_xhr(self):
        self.session = uuid.uuid4().hex[:12]
        self.http = requests.Session()
        assert self.http.post(self._sockjs_url("xhr"), timeout=10).text == "o\n"
        assert self.http.post(self._sockjs_url("xhr_send"), data=sockjs_join(self.room), timeout=10).status_code == 204
        while '\\"ack\\"' not in self.http.post(self._sockjs_url("xhr"), timeout=10).text:
            pass

    def _open_sockjs_xhr_streaming(self):
        self.session = uuid.uuid4().hex[:12]
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", self.server.port))
        raw.sendall(f"POST /sockjs/000/{self.session}/xhr_streaming HTTP/1.1\r\nHost: {self.base}\r\n"
                    "Content-Length: 0\r\n\r\n".encode())
        raw.settimeout(10)
        got = b""
        while b"o\n" not in got:
            got += raw.recv(4096)
        http = requests.Session()
        assert http.post(self._sockjs_url("xhr_send"), data=sockjs_join(self.room), timeout=10).status_code == 204
        self.conn = raw

    # -- after the flood ------------------------------------------------------------------
    def cut_off(self):
        """True when the server closed this client (what it had sent until then is read and counted)."""
        if self.path == "polling":  # Socket.IO: the session is gone
            return self.http.get(self.poll, timeout=10).status_code == 400
        if self.path == "xhr":  # SockJS: the session is gone, or its next poll gets the close frame
            sent = self.http.post(self._sockjs_url("xhr_send"), data='["x"]', timeout=10).status_code
            return sent == 404 or self.http.post(self._sockjs_url("xhr"), timeout=10).text.startswith("c[4429,")
        self.received = 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if isinstance(self.conn, websocket.WebSocket):
                    data = self.conn.recv()
                    if not data:
                        return True
                    if data.startswith("c[4429,"):
                        return True
                else:
                    data = self.conn.recv(65536)
                    if not data:
                        return True
                self.received += len(data)
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                return True
        return False

    def close(self):
        try:
            if self.conn is not None:
                self.conn.close()
        except OSError:
            pass


def test_a_client_that_never_reads_is_cut_off_and_readers_get_everything(server):
    for path in PATHS[server.transport]:
        room = f"slow-{path}-{uuid.uuid4().hex[:6]}"
        never = NeverReader(server, path, room)
        try:
            with server.client() as reader, server.client() as flooder:
                assert room in reader.emit("join", room)
                for i in range(MESSAGES):
                    flooder.emit("to_room", room, {"i": i, "pad": "x" * SIZE})
                last = reader.receive("room_message", timeout=30)
                while last["i"] != MESSAGES - 1:
                    last = reader.receive("room_message", timeout=30)
                log = wait_for_log(server, "it does not read", timeout=10)
                assert never.cut_off(), f"{path}: the never-reading client is still connected\n{log[-2000:]}"
                received = getattr(never, "received", 0)
                assert received < MESSAGES * SIZE / 2, (path, received)
        finally:
            never.close()
    log = server.log()
    assert log.count("it does not read") == len(PATHS[server.transport]), log[-3000:]
    assert "Traceback" not in log
