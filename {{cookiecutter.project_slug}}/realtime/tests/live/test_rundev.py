"""``manage.py rundev``: one command serves every transport of the project, and stops cleanly."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from realtime import conf
from django.core.management.base import CommandError

from realtime.management.commands.rundev import plan
from realtime.testing import free_ports


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
    # the pages' origin (port 8000) is another origin than SockJS's: allowed by name, exactly
    allowed = env["REALTIME_ALLOWED_ORIGINS"].split(",")
    assert "http://127.0.0.1:8000" in allowed and "http://localhost:8000" in allowed
    assert "http://127.0.0.1:8002" not in allowed and "https://127.0.0.1:8000" not in allowed
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
    ports = free_ports(len(conf.transports()))  # rundev serves the second on port + 1
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


def child_pids(pid):
    """The direct children of ``pid`` (pgrep: procps on Linux, built in on macOS)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def start_rundev(tmp_path, port, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path / "rundev.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rundev", *args, f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    return process


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_healthy(process, ports, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(healthz(p) == 200 for p in ports):
        assert process.poll() is None, log_path.read_text()
        time.sleep(0.2)
    assert all(healthz(p) == 200 for p in ports), log_path.read_text()


def test_rundev_exits_when_a_child_dies(tmp_path):
    ports = free_ports(len(conf.transports()))
    process = start_rundev(tmp_path, ports[0])
    try:
        wait_healthy(process, ports, tmp_path / "rundev.log")
        children = child_pids(process.pid)
        assert len(children) == len(ports), children
        os.kill(children[0], signal.SIGKILL)
        assert process.wait(30) != 0  # without --reload, a dead server ends rundev, and the others with it
        assert not any(healthz(p) for p in ports)
        assert "exited with status" in (tmp_path / "rundev.log").read_text()
    finally:
        stop(process)


@pytest.mark.parametrize("busy_offset", range(len(conf.transports())))  # both: SockJS on port + 1
def test_a_busy_port_is_one_sentence(tmp_path, busy_offset):
    """The main port, or with both transports SockJS's port + 1: one sentence with a fix, no traceback."""
    port = free_ports(len(conf.transports()))[0]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port + busy_offset))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "manage.py", "rundev", "--reload", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"Port {port + busy_offset} on 127.0.0.1 is already in use" in lines[0]
    assert "make run PORT=" in lines[0]
    assert ("SockJS" in lines[0]) == (busy_offset == 1)
    assert result.stdout == ""  # nothing was started


def test_rundev_logs_each_request_and_socket(tmp_path):
    """One line per HTTP request and per socket connect/disconnect, as runserver prints requests."""
    transports = conf.transports()
    ports = free_ports(len(transports))
    process = start_rundev(tmp_path, ports[0])
    log_path = tmp_path / "rundev.log"
    try:
        wait_healthy(process, ports, log_path)
        for path, status in (("/", 200), ("/no-such-page/", 404)):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}{path}", timeout=5).close()
            except urllib.error.HTTPError as exc:
                assert exc.code == status
        if "socketio" in transports:
            from realtime.testing import SocketIOTestClient

            with SocketIOTestClient(f"http://127.0.0.1:{ports[0]}") as client:
                sid = client.sid
        else:
            from realtime.testing import SockJSTestClient

            with SockJSTestClient(f"http://127.0.0.1:{ports[0]}/sockjs") as client:
                sid = client.sid
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and f"socket disconnected: {sid}" not in log_path.read_text():
            time.sleep(0.2)
        text = log_path.read_text()
        assert re.search(r'realtime\.dev .*"GET / HTTP/1\.1" 200 [0-9.]+ ms$', text, re.M), text
        assert re.search(r'realtime\.dev .*"GET /no-such-page/ HTTP/1\.1" 404 [0-9.]+ ms$', text, re.M), text
        assert len(re.findall(r'"GET / HTTP/1\.1"', text)) == 1, text  # one line per request, not more
        assert text.count(f"socket connected: {sid} ") == 1, text
        assert text.count(f"socket disconnected: {sid} ") == 1, text
        assert "socket.io/?" not in text and "/sockjs/" not in text  # transport polls are not requests
    finally:
        stop(process)


def test_code_watcher_sees_project_files_only(tmp_path):
    from realtime.devwatch import CodeWatcher

    (tmp_path / "app" / "templates").mkdir(parents=True)
    (tmp_path / "app" / "receivers.py").write_text("x = 1\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / "venv2").mkdir()
    (tmp_path / "venv2" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    watcher = CodeWatcher(tmp_path)
    assert watcher.changed() == []
    (tmp_path / "app" / "receivers.py").write_text("x = 22\n")
    (tmp_path / "app" / "templates" / "page.html").write_text("<p>hi</p>")
    (tmp_path / ".env").write_text("DEBUG=true\n")
    assert watcher.changed() == [".env", "app/receivers.py", "app/templates/page.html"]
    assert watcher.changed() == []  # reported once
    # not watched: virtualenvs, dot folders, caches, static files, test modules
    (tmp_path / ".venv" / "lib" / "site.py").write_text("")
    (tmp_path / "venv2" / "mod.py").write_text("")
    (tmp_path / "app" / "__pycache__").mkdir()
    (tmp_path / "app" / "__pycache__" / "receivers.cpython-311.pyc").write_text("")
    (tmp_path / "app" / "app.js").write_text("")
    (tmp_path / "app" / "tests.py").write_text("")
    (tmp_path / "app" / "test_receivers.py").write_text("")
    assert watcher.changed() == []
    (tmp_path / "app" / "receivers.py").unlink()
    assert watcher.changed() == ["app/receivers.py"]
