"""``manage.py rundev``: one command serves every transport of the project, and stops cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.core.management.base import CommandError

from realtime.management.commands.rundev import plan
from realtime.testing import free_port, free_ports


def test_plan_socketio_alone():
    children, env = plan(["socketio"], "127.0.0.1", 8000)
    assert children == [["rungevent", "127.0.0.1:8000"]]
    assert env == {}


def test_plan_sockjs_alone_serves_django_too():
    # rundev itself reloads (realtime.devwatch): the children never get --reload
    children, env = plan(["sockjs"], "127.0.0.1", 8000)
    assert children == [["runsocket", "--port", "8000", "--address", "127.0.0.1", "--django", "--static"]]
    assert env == {}


def test_plan_both_puts_sockjs_on_the_next_port_and_tells_the_pages():
    children, env = plan(["socketio", "sockjs"], "127.0.0.1", 8000)
    assert children == [["rungevent", "127.0.0.1:8000"], ["runsocket", "--port", "8001", "--address", "127.0.0.1"]]
    assert env["REALTIME_SOCKJS_URL"] == "http://127.0.0.1:8001/sockjs"
    # two processes: the local bus joins them (no server needed)
    assert env["REALTIME_BUS_BACKEND"] == "realtime.bus.local.LocalBus"
    assert os.path.isdir(env["REALTIME_LOCAL_BUS_DIR"])


@pytest.mark.parametrize("transports", [[], ["websocket"], ["socketio", "comet"]])
def test_plan_refuses_unknown_transports(transports):
    with pytest.raises(CommandError, match="REALTIME_TRANSPORTS"):
        plan(transports, "127.0.0.1", 8000)


def healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status
    except OSError:
        return None


def test_rundev_serves_every_transport_then_stops_on_sigterm(tmp_path):
    ports = free_ports(len(settings.REALTIME_TRANSPORTS))  # rundev serves the second on port + 1
    port = ports[0]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path / "rundev.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rundev", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(healthz(p) == 200 for p in ports):
            assert process.poll() is None, (tmp_path / "rundev.log").read_text()
            time.sleep(0.2)
        assert all(healthz(p) == 200 for p in ports), (tmp_path / "rundev.log").read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        assert not any(healthz(p) for p in ports)  # the children stopped with it
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_rundev_exits_when_a_child_dies(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    # Occupy the port: the (first) server cannot bind, dies, and rundev must not hang.
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "manage.py", "rundev", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert "exited with status" in result.stderr
