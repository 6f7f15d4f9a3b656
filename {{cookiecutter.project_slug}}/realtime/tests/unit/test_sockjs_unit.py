"""The SockJS transport's pieces, without a server: framing, options, the one-frame adapter."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from sockjs.tornado.transports import WebSocketTransport

from realtime.envelope import Envelope
from realtime.transports.sockjs import adapter as adapter_module
from realtime.transports.sockjs.adapter import SockJSAdapter, websocket_frame
from realtime.transports.sockjs.framing import BadFrame, CoreWire, SignalWire
from realtime.transports.sockjs.legacy import CALLBACK, script_json
from realtime.transports.sockjs.router import endpoint_options
from realtime.transports.sockjs.session import close_frame
from realtime.transports.sockjs.tornado_compat import write_buffer_empty


# -- framing -------------------------------------------------------------------------
def test_core_wire_round_trip_and_rejections():
    wire = CoreWire()
    assert json.loads(wire.event("chat", ["hi"], 3)) == {"type": "event", "event": "chat", "args": ["hi"], "id": 3}
    assert wire.decode('{"type": "event", "event": "e", "args": [1], "id": 2}') == ("event", ("e", [1], 2))
    assert wire.decode('{"type": "ack", "id": 2, "args": []}') == ("ack", (2, []))
    assert wire.decode('{"type": "message", "data": {"a": 1}}') == ("message", {"a": 1})
    for bad in ("[]", '{"type": "x"}', '{"type": "event", "args": {}}', '{"type": "ack", "id": true}'):
        with pytest.raises(BadFrame):
            wire.decode(bad)
    with pytest.raises(ValueError):
        wire.decode("not json")
    with pytest.raises(TypeError, match="JSON-serialisable"):
        wire.event("e", [object()])


def test_signal_wire_is_django_client_signals():
    wire = SignalWire()
    assert json.loads(wire.event("pong", [{"pong": "Ponged"}])) == {"event": "pong", "data": {"pong": "Ponged"}}
    assert wire.decode('{"event": "ping", "data": {"ping": 1}}') == ("event", ("ping", [{"ping": 1}], None))
    assert wire.decode('{"event": "ping"}') == ("event", ("ping", [], None))
    with pytest.raises(BadFrame):
        wire.decode('{"data": {}}')


def test_close_frames_carry_the_reason_exactly_escaped():
    assert close_frame(3000, "Go away!") == 'c[3000,"Go away!"]'
    frame = close_frame(4000, 'bad "reason"]\n\\ é')
    assert json.loads(frame[1:]) == [4000, 'bad "reason"]\n\\ é']


def test_jsonp_callbacks_and_script_strings_are_inert():
    for good in ("callback", "_jp.a1b2c3", "x"):
        assert CALLBACK.fullmatch(good)
    for bad in (" ", "*", "abc(", "a b", "alert(1)//", "a\nb", "abc\n", "", "é"):
        assert not CALLBACK.fullmatch(bad)
    text = 'a["</script><script>alert(1)</script>&"]'
    encoded = script_json(text)
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert json.loads(encoded) == text


def test_websocket_frame_matches_rfc6455():
    assert websocket_frame("a") == b"\x81\x01a"
    assert websocket_frame("x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert websocket_frame("x" * 70000)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")


# -- options --------------------------------------------------------------------------
def test_endpoint_options_layers_and_forced_security():
    class Conn:
        sockjs_options = {"heartbeat_delay": 10, "disabled_transports": ["eventsource"]}

    with override_settings(REALTIME_SOCKJS_OPTIONS={"*": {"response_limit": 1000}, "/x": {"heartbeat_delay": 5}}):
        options = endpoint_options("/x", Conn)
        assert options["heartbeat_delay"] == 5 and options["response_limit"] == 1000
        assert options["disabled_transports"] == ["eventsource"]  # jsonp and htmlfile are served by default
        assert options["sockjs_url"].endswith("realtime/sockjs.min.js") and "//" not in options["sockjs_url"]
        assert endpoint_options("/y", Conn)["heartbeat_delay"] == 10
    for bad in ({"*": {"nope": 1}}, {"/x": {"heartbeat_delay": 0}}, {"/x": {"disabled_transports": ["carrier"]}}):
        with override_settings(REALTIME_SOCKJS_OPTIONS=bad), pytest.raises(ImproperlyConfigured):
            endpoint_options("/x")


# -- the adapter: one encode, one frame, many sessions ----------------------------------
class _Stream:
    def __init__(self):
        self.writes = []

    def write(self, data):
        self.writes.append(data)


class _WS:
    _compressor = None

    def __init__(self):
        self.stream = _Stream()

    def is_closing(self):
        return False


class _Session:
    is_closed = False
    send_expects_json = True

    def __init__(self, handler):
        self.handler = handler
        self.send_queue = ""
        self.jsonified = []

    def send_jsonified(self, msg, stats=True):
        self.jsonified.append(msg)


class _Socket:
    transport = "sockjs"
    frame_prefix = ""  # a SockJSSocket's; a multiplexed channel's is "msg,<topic>,"

    def __init__(self, session, wire):
        self.conn = type("Conn", (), {"session": session})()
        self.wire = wire


class _Loop:
    def add_callback(self, fn, *args):
        fn(*args)


def test_adapter_encodes_once_and_writes_the_same_frame_to_every_websocket(monkeypatch):
    encodes = []
    real_dumps = adapter_module.json.dumps
    monkeypatch.setattr(adapter_module.json, "dumps", lambda *a, **k: encodes.append(1) or real_dumps(*a, **k))

    class CountingWire(CoreWire):
        calls = 0

        def envelope(self, envelope):
            CountingWire.calls += 1
            return super().envelope(envelope)

    wire = CountingWire()
    websockets = []
    for _ in range(50):
        handler = WebSocketTransport.__new__(WebSocketTransport)
        handler.ws_connection = _WS()
        websockets.append(_Socket(_Session(handler), wire))
    polling = _Socket(_Session(handler=None), wire)  # e.g. xhr between polls
    SockJSAdapter(_Loop()).write(Envelope.for_event("chat", ["héllo"]), [*websockets, polling])

    # the frame object to text, then that text as a SockJS JSON string: once each, for 51 sessions
    assert CountingWire.calls == 1 and len(encodes) == 2
    frames = [s.conn.session.handler.ws_connection.stream.writes for s in websockets]
    assert all(len(w) == 1 and w[0] is frames[0][0] for w in frames)  # the very same bytes object
    packet = frames[0][0][2:].decode()
    assert json.loads(json.loads(packet[1:])[0]) == {"type": "event", "event": "chat", "args": ["héllo"]}
    assert polling.conn.session.jsonified == [packet[2:-1]]


def test_server_settings_are_checked_at_start():
    from realtime.transports.sockjs.router import check_settings

    check_settings()
    for bad in ({"REALTIME_SOCKJS_WORKERS": 0}, {"REALTIME_SOCKJS_DJANGO_THREADS": "4"}):
        with override_settings(**bad), pytest.raises(ImproperlyConfigured):
            check_settings()


def test_write_frame_goes_straight_to_the_socket_and_keeps_order_when_the_kernel_is_full():
    import socket
    import threading

    from tornado.ioloop import IOLoop
    from tornado.iostream import IOStream

    from realtime.transports.sockjs.adapter import write_frame

    import asyncio

    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    big, small = b"B" * 2_000_000, b"small"
    received = bytearray()

    def read():
        while len(received) < len(big) + len(small):
            chunk = b.recv(65536)
            if not chunk:
                return
            received.extend(chunk)

    async def run():
        stream = IOStream(a)
        write_frame(stream, b"first")
        assert b.recv(100) == b"first"  # written at once, no loop turn needed
        write_frame(stream, big)  # the kernel takes part; tornado queues the rest
        assert not write_buffer_empty(stream)
        write_frame(stream, small)  # must queue behind it, not jump ahead
        reader = threading.Thread(target=read)
        reader.start()
        while not write_buffer_empty(stream):
            await asyncio.sleep(0.01)
        reader.join(10)
        stream.close()

    IOLoop.current().run_sync(run)
    b.close()
    assert bytes(received) == big + small
