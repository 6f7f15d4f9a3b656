"""The reach-ins of ``transports/socketio/engineio_compat.py`` still fit python-engineio.

If one of these fails after upgrading python-engineio, read the module's
docstring: either the library changed a method we override (update the
override), or it fixed what we work around (delete the workaround).
"""

import json

import engineio
import pytest

from realtime.transports.socketio import engineio_compat


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
    engineio_compat.check_library()  # raises, naming what is missing


def test_a_missing_method_fails_loudly_with_the_fix(monkeypatch):
    monkeypatch.delattr(engineio.socket.Socket, "_send_ping")
    with pytest.raises(RuntimeError, match=r"Socket\._send_ping.*engineio_compat\.py must be updated"):
        engineio_compat.check_library()


def test_the_library_still_truncates_the_ping_interval():
    """If this fails, python-engineio advertises fractions itself: drop our OPEN-packet fix."""
    bare = engineio.Server(async_mode="gevent", ping_interval=0.3, ping_timeout=0.2, monitor_clients=False)
    assert handshake(bare)["pingInterval"] == 0


def test_our_server_advertises_exact_milliseconds_and_adopts_sessions():
    ours = engineio_compat.EngineIOServer(
        async_mode="gevent", ping_interval=1.25, ping_timeout=0.2, monitor_clients=False
    )
    opened = handshake(ours)
    assert (opened["pingInterval"], opened["pingTimeout"]) == (1250, 200)
    assert type(ours.sockets[opened["sid"]]) is engineio_compat.EngineIOSocket
