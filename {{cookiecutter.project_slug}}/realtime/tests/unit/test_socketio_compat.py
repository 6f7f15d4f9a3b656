"""The library internals :mod:`realtime.transports.socketio.compat` (python-engineio,
python-socketio) and :mod:`~realtime.transports.socketio.pywsgi_compat` (gevent,
gevent-websocket) rely on are still there, and the fixes still fix something.

If one of these fails after upgrading a library, read the module's docstring:
either the library changed what we reach into (update the module, or pin the
library as ``pyproject.toml`` does), or it fixed what we work around (delete
the workaround).
"""

import inspect
import json

import engineio
import pytest
import socketio
import gevent.socket
import geventwebsocket.websocket
from engineio import packet as eio_packet
from engineio import payload as eio_payload
from engineio import socket as eio_socket_module
from engineio.async_drivers.gevent import WebSocketWSGI

from realtime.transports.socketio import compat, direct, pywsgi_compat


def test_engineio_socket_has_the_state_direct_writes_read():
    server = engineio.Server(async_mode="gevent")
    s = eio_socket_module.Socket(server, "sid")
    for name in ("upgraded", "upgrading", "closing", "closed", "queue", "last_ping"):
        assert hasattr(s, name), f"engineio.socket.Socket lost {name!r}: compat.writable_now needs it"
    assert hasattr(s.queue, "qsize") and hasattr(s.queue, "put")
    assert not compat.writable_now(s)  # a new socket is not on a websocket yet
    s.upgraded = True
    assert compat.writable_now(s)
    compat.enqueue(s, eio_packet.Packet(eio_packet.NOOP))
    assert not compat.writable_now(s)  # something waits for the writer: keep the order


def test_the_websocket_writer_sends_what_packet_encode_returns():
    """RestOfFrame relies on the writer calling ``ws.send(pkt.encode())`` for each queued packet."""
    source = inspect.getsource(eio_socket_module.Socket._websocket_handler)
    assert "ws.send(pkt.encode())" in source, "engineio's websocket writer changed: see compat/ and direct.py"
    assert "self.poll()" in source
    assert "self.server._async['websocket'](" in inspect.getsource(eio_socket_module.Socket._upgrade_websocket)


def test_websocket_driver_runs_the_engineio_socket_handler():
    """``engineio_socket_of`` finds the Engine.IO socket from the driver's ``app``."""
    server = engineio.Server(async_mode="gevent")
    s = eio_socket_module.Socket(server, "sid")
    ws = WebSocketWSGI(s._websocket_handler, server)
    assert compat.engineio_socket_of(ws.app) is s
    assert issubclass(direct.DirectWebSocket, WebSocketWSGI)
    assert "self._sock.send(message)" in inspect.getsource(WebSocketWSGI.send)


def test_gevent_websocket_keeps_its_socket_where_compat_looks():
    source = inspect.getsource(geventwebsocket.websocket.Stream.__init__)
    assert "self.handler = handler" in source
    assert "handler.socket.sendall" in source
    params = inspect.signature(gevent.socket.socket.send).parameters
    assert "timeout" in params, "gevent's socket.send lost its timeout argument: direct.try_write passes 0.0"


def test_our_frame_header_matches_gevent_websocket():
    Header = geventwebsocket.websocket.Header
    for size in (0, 1, 125, 126, 65535, 65536, 70000):
        text = "x" * size
        expected = Header.encode_header(True, geventwebsocket.websocket.WebSocket.OPCODE_TEXT, b"", size, 0)
        assert direct.websocket_text_frame(text) == expected + text.encode(), size


def test_timer_pings_replace_schedule_ping():
    assert "_send_ping" in inspect.getsource(eio_socket_module.Socket), "see compat/protocol.py"
    assert hasattr(eio_payload.Payload, "max_decode_packets")


def test_enqueue_first_puts_a_packet_ahead_and_keeps_join_counting():
    server = engineio.Server(async_mode="gevent")
    s = eio_socket_module.Socket(server, "sid")
    later = [eio_packet.Packet(eio_packet.NOOP, data=str(i)) for i in range(3)]
    for pkt in later:
        s.queue.put(pkt)
    first = eio_packet.Packet(eio_packet.MESSAGE, data="first")
    compat.enqueue_first(s, first)
    got = [s.queue.get_nowait() for _ in range(4)]
    assert got == [first, *later]
    for _ in got:
        s.queue.task_done()
    s.queue.join()  # returns at once: every put was matched by a task_done


def handshake(server):
    """The OPEN packet a polling client gets, called in-process (no network, no greenlet switch)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": "EIO=4&transport=polling",
        "PATH_INFO": "/socket.io/",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "testserver",
    }
    statuses = []
    body = b"".join(server.handle_request(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["200 OK"], (statuses, body)
    assert body.startswith(b"0{"), body
    return json.loads(body[1:])


def test_every_overridden_method_still_exists():
    compat.check_library()  # raises, naming what is missing


def test_a_missing_method_fails_loudly_with_the_fix(monkeypatch):
    monkeypatch.delattr(engineio.socket.Socket, "_send_ping")
    with pytest.raises(RuntimeError, match=r"Socket\._send_ping.*compat/ must be updated"):
        compat.check_library()


def test_the_library_still_truncates_the_ping_interval():
    """If this fails, python-engineio advertises fractions itself: drop our OPEN-packet fix."""
    bare = engineio.Server(async_mode="gevent", ping_interval=0.3, ping_timeout=0.2, monitor_clients=False)
    assert handshake(bare)["pingInterval"] == 0


def test_our_server_advertises_exact_milliseconds_and_adopts_sessions():
    ours = compat.EngineIOServer(
        async_mode="gevent", ping_interval=1.25, ping_timeout=0.2, monitor_clients=False
    )
    opened = handshake(ours)
    assert (opened["pingInterval"], opened["pingTimeout"]) == (1250, 200)
    assert type(ours.sockets[opened["sid"]]) is compat.EngineIOSocket


def test_a_missing_socketio_internal_fails_loudly_too(monkeypatch):
    monkeypatch.delattr(socketio.base_manager.BaseManager, "_generate_ack_id")
    with pytest.raises(RuntimeError, match=r"BaseManager\._generate_ack_id.*compat/ must be updated"):
        compat.check_library()


def test_socketio_state_the_server_reads_is_where_compat_looks():
    server = socketio.Server(async_mode="gevent")
    assert compat.pending_binary(server, "nobody") is None
    server._binary_packet["eio"] = marker = object()
    assert compat.pending_binary(server, "eio") is marker
    compat.drop_pending_binary(server, "eio")
    assert compat.pending_binary(server, "eio") is None
    server.manager.set_server(server)
    server.manager.initialize()
    sid = server.manager.connect("eio", "/")
    first = compat.new_ack_id(server, sid, lambda *a: None)
    assert compat.new_ack_id(server, sid, lambda *a: None) == first + 1
    driver = type("Driver", (), {})
    compat.use_websocket_driver(server.eio, driver)
    assert server.eio._async["websocket"] is driver


def test_pywsgi_and_gevent_websocket_internals_are_there():
    pywsgi_compat.check_library()
    source = inspect.getsource(geventwebsocket.websocket.Stream.__init__)
    assert "self.handler = handler" in source, "gevent-websocket's Stream lost .handler: fix pywsgi_compat.tcp_socket"


@pytest.mark.parametrize("dist", ["python-socketio", "python-engineio"])
def test_the_installed_library_is_the_minor_pyproject_pins(dist):
    """compat/ is checked against one minor of each; pyproject.toml must not allow another."""
    import re
    from importlib.metadata import version
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "pyproject.toml").read_text(encoding="utf-8")
    pin = re.search(rf'"{dist}(?:\[\w+\])?>=(\d+)\.(\d+),<(\d+)\.(\d+)"', text)
    assert pin, f"pyproject.toml must pin {dist} to one minor (>=X.Y,<X.Y+1): compat/ is checked against one"
    low, high = (int(pin[1]), int(pin[2])), (int(pin[3]), int(pin[4]))
    assert high == (low[0], low[1] + 1), f"{dist}: pin one minor, not {low} to {high}"
    installed = tuple(int(part) for part in version(dist).split(".")[:2])
    assert installed == low, f"{dist} {version(dist)} is installed but pyproject.toml pins {low}: run the tests on it"
