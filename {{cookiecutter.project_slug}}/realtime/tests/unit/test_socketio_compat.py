"""The library internals :mod:`realtime.transports.socketio.compat` relies on are still there.

If one of these fails after upgrading python-engineio, python-socketio,
gevent-websocket or gevent, read ``compat.py``: each function names what it
reaches into; adapt it (or drop the direct writes) before shipping.
"""

import inspect

import engineio
import gevent.socket
import geventwebsocket.websocket
from engineio import packet as eio_packet
from engineio import payload as eio_payload
from engineio import socket as eio_socket_module
from engineio.async_drivers.gevent import WebSocketWSGI

from realtime.transports.socketio import compat, direct


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
    assert "ws.send(pkt.encode())" in source, "engineio's websocket writer changed: see compat.py / direct.py"
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
    assert "_send_ping" in inspect.getsource(eio_socket_module.Socket), "engineio's ping changed: see compat.py"
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
