"""Across transports, ``make run``'s setup behaves as production's: rooms, presence, client signals.

A Socket.IO process (``rungevent``) and a SockJS process (``runsocket``) as
rundev joins them without a networked bus (the local bus and its shared
presence file) and, in projects made with one, on that bus
(``realtime.testing.setups``). Every test runs on each setup. (The chat's
cross-transport tests, nicknames and history, are in
``chat/tests/test_both_transports.py``; ``test_both_rundev_bridge`` runs
rundev itself.)
"""

import time
import uuid

import pytest

from realtime.testing import LiveServer, SocketIOTestClient, SockJSTestClient, setups

TEST_APPS = ["realtime.tests.testapp"]
SIGNAL_SETTINGS = "realtime.tests.testapp.settings_clientsignal"


@pytest.fixture(scope="module", params=setups.names())
def servers(request, tmp_path_factory):
    """``(socketio, sockjs)`` servers sharing one bus setup."""
    tmp = tmp_path_factory.mktemp("both-setups")
    with setups.bus_env(request.param, tmp) as env:
        env = {**env, "DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}
        database = str(tmp / "db.sqlite3")
        with (
            LiveServer("rungevent", extra_apps=TEST_APPS, env=env, database=database) as socketio,
            LiveServer("runsocket", extra_apps=TEST_APPS, env=env, database=database) as sockjs,
        ):
            yield socketio, sockjs


def test_rooms_and_presence_span_both_processes(servers):
    socketio, sockjs = servers
    room = f"both-{uuid.uuid4().hex[:6]}"
    with SocketIOTestClient(socketio.url) as sio, SockJSTestClient(sockjs.url + "/sockjs") as sjs:
        sio_sid, sjs_sid = sio.emit("whoami")["sid"], sjs.emit("whoami")["sid"]
        assert sio.emit("join", room) == [room]
        assert sjs.emit("join", room) == [room]
        expected = sorted([[sio_sid, "socketio"], [sjs_sid, "sockjs"]])
        assert sio.emit("presence", room) == sjs.emit("presence", room) == expected
        sjs.emit("to_room", room, "from sockjs", ack=False)
        assert sio.receive("room_message", timeout=10) == "from sockjs"
        assert sjs.emit("leave", room) == []
        assert sio.emit("presence", room) == [[sio_sid, "socketio"]]
    # Disconnected clients leave presence in every process (the server notices a close soon, not at once).
    with SocketIOTestClient(socketio.url) as probe:
        deadline = time.monotonic() + 10
        while probe.emit("presence", room) != [] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert probe.emit("presence", room) == []


def test_broadcast_client_signal_reaches_both_transports(servers):
    """Django Client Signals' ping: any client's ``ping`` makes the server broadcast ``pong`` on /simple."""
    socketio, sockjs = servers
    with (
        SocketIOTestClient(socketio.url, namespace="/simple", timeout=10) as sio,
        SockJSTestClient(sockjs.url + "/simple", timeout=10) as sjs,
    ):
        sjs.signal("ping")
        assert sio.receive("pong") == sjs.receive("pong") == {"pong": "Ponged"}
        sio.emit("ping", {}, ack=False)
        assert sio.receive("pong") == sjs.receive("pong") == {"pong": "Ponged"}
        sio.assert_nothing("pong", within=0.3)  # each delivered once
        sjs.assert_nothing("pong", within=0.05)
