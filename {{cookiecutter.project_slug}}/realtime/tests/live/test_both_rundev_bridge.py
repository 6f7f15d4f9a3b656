"""``make run`` with both transports: a Socket.IO client and a SockJS client share a room and its presence.

rundev runs two processes (rungevent, runsocket) and joins them with the
local bus, so this must hold with no broker installed.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.conf import settings

from realtime.testing import SocketIOTestClient, SockJSTestClient, free_ports


def wait_healthy(ports, process, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        try:
            for port in ports:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"rundev did not come up:\n{log_path.read_text()}")


def test_rooms_span_both_transports_under_rundev(tmp_path):
    port, sockjs_port = free_ports(2)  # rundev serves SockJS on port + 1
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "realtime.testing.settings",
        "REALTIME_TEST_BASE_SETTINGS": os.environ["DJANGO_SETTINGS_MODULE"],
        "REALTIME_TEST_EXTRA_APPS": "realtime.tests.testapp",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REALTIME_BUS_BACKEND", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log_path = tmp_path / "rundev.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundev", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy([port, sockjs_port], process, log_path)
        with (
            SocketIOTestClient(f"http://127.0.0.1:{port}") as sio,
            SockJSTestClient(f"http://127.0.0.1:{sockjs_port}/sockjs") as sjs,
            SockJSTestClient(f"http://127.0.0.1:{sockjs_port}/sockjs") as outsider,
        ):
            assert sio.emit("join", "bridge") == ["bridge"]
            assert sjs.emit("join", "bridge") == ["bridge"]
            # Presence spans both processes (the local bus's shared file), as with a networked bus.
            expected = sorted([[sio.emit("whoami")["sid"], "socketio"], [sjs.emit("whoami")["sid"], "sockjs"]])
            assert sio.emit("presence", "bridge") == sjs.emit("presence", "bridge") == expected
            sio.emit("to_room", "bridge", "from socket.io", ack=False)
            assert sjs.receive("room_message", timeout=5) == "from socket.io"
            sjs.emit("to_room", "bridge", "from sockjs", ack=False)
            assert sio.receive("room_message", timeout=5) == "from socket.io"
            assert sio.receive("room_message", timeout=5) == "from sockjs"
            assert sjs.receive("room_message", timeout=5) == "from sockjs"
            # each delivered once, and only to the room
            outsider.assert_nothing("room_message", within=0.5)
            assert sio.received("room_message") == sjs.received("room_message") == ["from socket.io", "from sockjs"]
    finally:
        if process.poll() is None:  # it may have died already; its log is in the failure
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)
