"""Over-size websocket frames are refused on their header (issue 16, point 2).

The attack: a frame header announcing tens of MB. gevent-websocket alone
reads (and unmasks, byte by byte in Python) the whole payload before our
limit applies; :mod:`realtime.transports.socketio.frames` closes with 1009
after the header. These tests speak RFC 6455 over a raw TCP socket, so they
send exactly what an attacker would, with sizes bounded to a few tens of MB.
"""

import base64
import json
import os
import random
import socket
import struct
import threading
import time
import uuid

import pytest
from geventwebsocket.handler import WebSocketHandler
from geventwebsocket.websocket import Header, WebSocket

from realtime.testing import SocketIOTestClient
from realtime.transports.socketio import frames
from realtime.transports.socketio.handler import RealtimeWebSocketHandler
from realtime.tests.live.probes import healthz_seconds, rss_kb, wait_for_log

LIMIT = 64 * 1024  # REALTIME_MAX_MESSAGE_BYTES's default, which the live server uses
TEXT, BINARY, CONTINUATION, CLOSE = 0x1, 0x2, 0x0, 0x8


def frame_header(length, opcode=TEXT, fin=True, mask=b"\x01\x02\x03\x04"):
    """A client frame header (masked, as RFC 6455 requires of clients)."""
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        head = struct.pack("!BB", first, 0x80 | length)
    elif length <= 0xFFFF:
        head = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, length)
    return head + mask


def client_frame(payload, opcode=TEXT, fin=True):
    mask = os.urandom(4)
    return frame_header(len(payload), opcode, fin, mask) + frames.unmask(payload, mask)


class RawWebSocket:
    """A websocket to Engine.IO by hand: handshake, then bytes as we choose."""

    def __init__(self, server):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        opcode, opened = self.read_frame()
        assert opcode == TEXT and opened.startswith(b"0{"), opened

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer += chunk

    def _take(self, size):
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_frame(self):
        """``(opcode, payload)`` of the server's next frame (servers do not mask)."""
        first, second = self._take(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._take(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._take(8))
        return first & 0x0F, self._take(length)

    def send_text(self, text):
        self.sock.sendall(client_frame(text.encode()))

    def until_close(self, timeout):
        """The close code the server sent, or None if it dropped the connection without one."""
        self.sock.settimeout(timeout)
        try:
            while True:
                opcode, payload = self.read_frame()
                if opcode == CLOSE:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if payload == b"2":  # an Engine.IO ping
                    self.send_text("3")
        except (EOFError, ConnectionResetError, BrokenPipeError):
            return None

    def close(self):
        self.sock.close()


# -- the library we reach into ---------------------------------------------------


def test_gevent_websocket_still_has_what_frames_relies_on():
    """Fails loudly when a gevent-websocket upgrade changes what frames.py overrides."""
    for name in ("stream", "raw_read", "raw_write", "environ", "closed", "handler"):
        assert name in WebSocket.__slots__, name
    for name in ("read_frame", "read_message", "receive", "handle_ping", "handle_close", "close", "send_frame"):
        assert callable(getattr(WebSocket, name)), name
    assert frames.LimitedWebSocket.__slots__ == () and frames.LimitedWebSocket.__mro__[1] is WebSocket
    assert "upgrade_connection" in vars(WebSocketHandler)
    assert RealtimeWebSocketHandler.upgrade_connection is not WebSocketHandler.upgrade_connection

    class Stream:  # decode_header must read the header and nothing of the payload
        def __init__(self, data):
            self.data, self.read_bytes = data, 0

        def read(self, size):
            chunk = self.data[self.read_bytes : self.read_bytes + size]
            self.read_bytes += len(chunk)
            return chunk

    for length in (5, 300, 50 * 1024 * 1024):
        stream = Stream(frame_header(length) + b"x" * 1000)
        header = Header.decode_header(stream)
        assert (header.length, header.opcode, header.fin) == (length, TEXT, True)
        assert stream.read_bytes == len(frame_header(length))


def test_adopt_turns_the_library_websocket_into_ours_in_place():
    class Handler:
        logger = None

    class Stream:
        read = write = None

    ws = WebSocket({"REMOTE_ADDR": "127.0.0.1"}, Stream(), Handler())
    assert frames.adopt(ws) is ws and type(ws) is frames.LimitedWebSocket
    with pytest.raises(TypeError, match="gevent-websocket changed"):
        frames.adopt(object())
    ws.closed = True  # nothing to send a close frame to when it is collected


def test_unmask_matches_the_reference_on_random_payloads():
    rng = random.Random(16)
    sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 125, 126, 127, 1000, 4097, LIMIT - 1, LIMIT]
    sizes += [rng.randrange(1, 3 * LIMIT) for _ in range(20)]
    for size in sizes:
        payload = rng.randbytes(size)
        mask = rng.randbytes(4)
        expected = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        header = Header(length=size)
        header.mask = mask
        assert frames.unmask(payload, mask) == expected == bytes(header.unmask_payload(payload)), size
        assert frames.unmask(expected, mask) == payload
    payload = b"\x00" * 9  # leading zero bytes survive the integer round trip
    assert frames.unmask(frames.unmask(payload, b"\x00\x00\x00\x01"), b"\x00\x00\x00\x01") == payload


def test_unmask_is_fast():
    payload, mask = os.urandom(LIMIT), os.urandom(4)
    started = time.perf_counter()
    for _ in range(100):
        frames.unmask(payload, mask)
    assert (time.perf_counter() - started) / 100 < 0.005  # ~0.5 ms on a loaded 2-core box; the library's: 20+ ms


# -- the attack, live ----------------------------------------------------------------


def test_announced_50mb_frame_is_closed_with_1009_before_its_payload(gevent_server):
    """Header only: the server answers 1009 without waiting for a byte of payload."""
    ws = RawWebSocket(gevent_server)
    size = 50 * 1024 * 1024 + random.randrange(1, 1 << 16)  # a size unique in the log
    started = time.monotonic()
    ws.sock.sendall(frame_header(size))
    assert ws.until_close(timeout=5) == 1009
    assert time.monotonic() - started < 2
    log = wait_for_log(gevent_server, f"frame of {size} bytes is over REALTIME_MAX_MESSAGE_BYTES")
    assert log.count(f"closing websocket from 127.0.0.1: frame of {size} bytes is over") == 1
    assert "Traceback" not in log[log.index(f"frame of {size} bytes") :]
    ws.close()


def test_announced_50mb_with_a_few_kb_sent_closes_at_once(gevent_server):
    ws = RawWebSocket(gevent_server)
    ws.sock.sendall(frame_header(50 * 1024 * 1024) + os.urandom(4096))
    started = time.monotonic()
    assert ws.until_close(timeout=5) in (1009, None)  # the close frame, or a reset over unread bytes
    assert time.monotonic() - started < 2
    ws.close()


def test_big_frames_leave_memory_and_other_clients_alone(gevent_server):
    """Four clients push 16 MB frames; the process stays small and keeps serving."""
    pid = gevent_server.process.pid
    with SocketIOTestClient(gevent_server.url) as bystander:
        assert bystander.emit("echo", "warm up") == "warm up"
        healthz_seconds(gevent_server)
        before = rss_kb(pid)
        attackers = [RawWebSocket(gevent_server) for _ in range(4)]
        sent = []

        def push(ws):
            size = 16 * 1024 * 1024
            data = frame_header(size) + os.urandom(size)
            try:
                ws.sock.sendall(data)
                sent.append(len(data))
            except OSError:
                sent.append(0)  # refused: the server closed the connection under us

        threads = [threading.Thread(target=push, args=(ws,)) for ws in attackers]
        for t in threads:
            t.start()
        slowest = max(healthz_seconds(gevent_server) for _ in range(5))
        assert bystander.emit("echo", "during") == "during"
        for t in threads:
            t.join(30)
        codes = [ws.until_close(timeout=5) for ws in attackers]
        after = rss_kb(pid)
        for ws in attackers:
            ws.close()
        assert after - before < 8 * 1024, f"RSS grew by {(after - before) / 1024:.1f} MB ({before} -> {after} kB)"
        assert slowest < 1.0, f"/healthz took {slowest:.2f}s during the attack"
        assert all(code in (1009, None) for code in codes), codes
        assert bystander.emit("echo", "after") == "after"


def test_fragments_count_together_against_the_limit(gevent_server):
    """Two fragments under the limit each, over it together: refused before the second payload."""
    ws = RawWebSocket(gevent_server)
    first = 40 * 1024 + random.randrange(1, 1 << 12)
    ws.sock.sendall(client_frame(b'42["echo","' + b"a" * (first - 11), fin=False))
    ws.sock.sendall(frame_header(40 * 1024, opcode=CONTINUATION))  # its payload is never sent
    assert ws.until_close(timeout=5) == 1009
    total = first + 40 * 1024
    log = wait_for_log(gevent_server, f"fragmented message of at least {total} bytes")
    assert log.count(f"fragmented message of at least {total} bytes is over REALTIME_MAX_MESSAGE_BYTES") == 1
    ws.close()


def test_frames_up_to_the_limit_still_work(gevent_server):
    ws = RawWebSocket(gevent_server)
    prefix = '421["echo","'
    value = "b" * (LIMIT - len(prefix) - 2)  # the frame is exactly REALTIME_MAX_MESSAGE_BYTES
    assert len(prefix + value + '"]') == LIMIT
    ws.send_text("40")
    while not ws.read_frame()[1].startswith(b"40"):
        pass
    ws.send_text(prefix + value + '"]')
    while True:
        opcode, payload = ws.read_frame()
        if payload.startswith(b"431"):
            assert json.loads(payload[3:]) == [value]
            break
    ws.close()


def test_fragmented_and_random_unicode_messages_arrive_intact(gevent_server):
    """Unmasking and UTF-8 checks are correct end to end: what is echoed is what was sent."""
    rng = random.Random(uuid.uuid4().int)
    ws = RawWebSocket(gevent_server)
    ws.send_text("40")
    while not ws.read_frame()[1].startswith(b"40"):
        pass
    for ack_id in range(2, 8):
        value = "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0xA0, 0xD7FF)])) for _ in range(3000))
        data = f"42{ack_id}{json.dumps(['echo', value], ensure_ascii=False)}".encode()
        cut = rng.randrange(1, len(data) - 1)  # may split a character: UTF-8 is checked on the whole message
        ws.sock.sendall(client_frame(data[:cut], fin=False) + client_frame(data[cut:], opcode=CONTINUATION))
        while True:
            opcode, payload = ws.read_frame()
            if payload.startswith(f"43{ack_id}".encode()):
                assert json.loads(payload[len(f"43{ack_id}") :].decode()) == [value]
                break
    ws.close()


def test_invalid_utf8_text_is_closed_with_1007(gevent_server):
    ws = RawWebSocket(gevent_server)
    ws.sock.sendall(client_frame(b"42\xff\xfe"))
    assert ws.until_close(timeout=5) == 1007
    ws.close()
