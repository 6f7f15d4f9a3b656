"""``make run`` (``rundev --reload``): edit a receiver, break it, fix it; the server follows by itself.

The project is copied to a temporary folder (the test edits files) with one
extra app whose receiver answers the event ``version``. While one ``rundev
--reload`` runs, unchanged from start to end:

1. the receiver answers ``v1``; it is edited to answer ``v2`` and the
   servers serve ``v2`` after their restart;
2. a syntax error: the traceback is printed, the servers are down, rundev
   is still running;
3. fixed to answer ``v3``: the servers come back and answer ``v3``.

Every transport the project serves is asked (with both, each is a process),
by a new wire client each time, and by a page opened once in Chromium whose
``Realtime.connect()`` connection must reconnect by itself after each restart.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from realtime import conf

from realtime.testing import free_ports
from realtime.testing.browser import chromium

APP_CONFIG = """\
from django.apps import AppConfig


class DevloopConfig(AppConfig):
    name = "devloopapp"

    def ready(self):
        from devloopapp import receivers  # noqa: F401
"""

RECEIVERS = """\
from django.dispatch import receiver

from realtime.signals import socket_client_event_by_type


@receiver(socket_client_event_by_type["version"])
def version(sender, event, **kwargs):
    return {answer!r}
"""

SKIP = shutil.ignore_patterns(".*", "__pycache__", "staticfiles", "var", "artifacts", "node_modules", "*.sqlite3")


def copy_project(target):
    base = Path(settings.BASE_DIR)
    for entry in base.iterdir():
        if entry.name.startswith(".") and entry.name != ".env":
            continue
        if entry.is_dir():
            if entry.name in ("staticfiles", "var", "artifacts", "node_modules") or (entry / "pyvenv.cfg").exists():
                continue
            shutil.copytree(entry, target / entry.name, ignore=SKIP)
        elif entry.is_file() and entry.suffix != ".sqlite3":
            shutil.copy2(entry, target / entry.name)
    app = target / "devloopapp"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "apps.py").write_text(APP_CONFIG)
    (app / "receivers.py").write_text(RECEIVERS.format(answer="v1"))
    return app / "receivers.py"


def ask_version(transport, port):
    """The ``version`` ack from a new client of ``transport``, or None while the server is down."""
    try:
        if transport == "socketio":
            from realtime.testing import SocketIOTestClient

            with SocketIOTestClient(f"http://127.0.0.1:{port}", timeout=3) as client:
                return client.emit("version", timeout=3) if client.connected else None
        from realtime.testing import SockJSTestClient

        with SockJSTestClient(f"http://127.0.0.1:{port}/sockjs", timeout=3) as client:
            return client.emit("version", timeout=3) if client.connected else None
    except Exception:  # connection refused, reset while restarting, no ack: not up (yet)
        return None


def served(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(condition, what, process, log_path, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"rundev exited while waiting for {what}:\n{log_path.read_text()}"
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}:\n{log_path.read_text()}")


@contextlib.contextmanager
def rundev(project, tmp_path, port, extra_apps):
    """``manage.py rundev --reload`` in the copied ``project`` on ``port``, its output in ``rundev.log``:
    yields ``(process, log path)``, and stops the whole process group after the block."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "realtime.testing.settings",
        "REALTIME_TEST_BASE_SETTINGS": os.environ["DJANGO_SETTINGS_MODULE"],
        "REALTIME_TEST_EXTRA_APPS": extra_apps,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("PYTHONPATH", None)  # the copy's modules, not this project's
    log_path = tmp_path / "rundev.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundev", "--reload", f"127.0.0.1:{port}"],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, log_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.timeout(400)
def test_edit_break_and_fix_a_receiver_while_rundev_reloads(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    receivers = copy_project(project)
    transports = conf.transports()
    port = free_ports(len(transports))[0]
    # Each transport on its process's port: rundev puts SockJS after Socket.IO when there are both.
    endpoints = {t: port + (1 if t == "sockjs" and "socketio" in transports else 0) for t in transports}
    apps = "devloopapp,realtime.tests.testapp"  # the test app: a page to open
    with rundev(project, tmp_path, port, apps) as (process, log_path):
        with chromium() as browser:
            page = browser.new_page()
            run_the_loop(process, log_path, receivers, endpoints, page, port)


#: The page's connections (one per transport) each ask; null for one that is not connected (yet).
PAGE_ASKS = """() => Promise.all(window.conns.map((conn) => new Promise((resolve) => {
  if (!conn.connected) return resolve(null);
  conn.emit('version', (err, answer) => resolve(err ? null : answer));
})))"""


def run_the_loop(process, log_path, receivers, endpoints, page, port):
    def answers(expected):
        def check():
            clients = all(ask_version(t, p) == expected for t, p in endpoints.items())
            return clients and page.evaluate(PAGE_ASKS) == [expected] * len(endpoints)

        return check

    wait_for(lambda: served(port), "the site", process, log_path)
    page.goto(f"http://127.0.0.1:{port}/testapp/realtime")
    page.evaluate(
        """() => {
          window.samePage = true;
          window.reconnects = 0;
          window.conns = Realtime.config.transports.map((transport) => {
            const conn = Realtime.connect({transport: transport, ackTimeout: 3000});
            conn.on('reconnect', () => { window.reconnects += 1; });
            return conn;
          });
        }"""
    )
    wait_for(answers("v1"), "v1 from every transport", process, log_path)

    receivers.write_text(RECEIVERS.format(answer="v2"))
    wait_for(answers("v2"), "the edited receiver (v2)", process, log_path)

    receivers.write_text(RECEIVERS.format(answer="v2").replace("return", "return (", 1))
    wait_for(
        lambda: "SyntaxError" in log_path.read_text() and "fix the error above" in log_path.read_text(),
        "the syntax error's traceback",
        process,
        log_path,
    )
    assert not any(served(p) for p in set(endpoints.values())), "a server still runs the old code"
    assert process.poll() is None  # the watcher survived

    receivers.write_text(RECEIVERS.format(answer="v3"))
    wait_for(answers("v3"), "the fixed receiver (v3)", process, log_path)
    text = log_path.read_text()
    assert "devloopapp/receivers.py changed, restarting" in text
    assert "Traceback (most recent call last)" in text
    # the page was never reloaded: its connection came back by itself after both restarts
    assert page.evaluate("window.samePage === true && window.reconnects") >= 2 * len(endpoints)


@pytest.mark.timeout(200)
def test_rundev_starts_while_the_code_is_broken_and_serves_once_fixed(tmp_path):
    """As runserver does: ``make run`` on a broken file waits for the fix instead of exiting."""
    project = tmp_path / "project"
    project.mkdir()
    receivers = copy_project(project)
    receivers.write_text("def broken(:\n")
    transports = conf.transports()
    port = free_ports(len(transports))[0]
    first = transports[0] if "socketio" not in transports else "socketio"
    with rundev(project, tmp_path, port, "devloopapp") as (process, log_path):
        wait_for(lambda: "fix the error above" in log_path.read_text(), "the error report", process, log_path)
        assert "SyntaxError" in log_path.read_text()
        receivers.write_text(RECEIVERS.format(answer="fixed"))
        wait_for(lambda: ask_version(first, port) == "fixed", "the fixed receiver", process, log_path)
