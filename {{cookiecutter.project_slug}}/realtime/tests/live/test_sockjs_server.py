"""``manage.py runsocket``: flags, graceful SIGTERM, Django behind tornado."""

import os
import signal
import time
import urllib.request

from realtime.testing import LiveServer, SockJSTestClient
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS


def test_static_needs_django_and_bad_ports_are_refused():
    runner = LiveServer("runsocket")
    result = runner.manage("runsocket", "--static", check=False)
    assert result.returncode != 0 and "--static serves static files through Django" in result.stderr
    result = runner.manage("runsocket", "--port", "70000", check=False)
    assert result.returncode != 0 and "--port" in result.stderr


def test_sigterm_closes_clients_with_restart_and_exits_zero():
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}
    server = LiveServer("runsocket", extra_apps=TEST_APPS, env=env).start()
    try:
        ws = SockJSTestClient(server.url + "/sockjs")
        xhr = SockJSTestClient(server.url + "/sockjs", transport="xhr")
        signals = SockJSTestClient(server.url + "/simple", clientsignal=True)
        assert ws.connected and xhr.connected and signals.connected
        started = time.monotonic()
        os.killpg(server.process.pid, signal.SIGTERM)
        assert server.process.wait(10) == 0
        took = time.monotonic() - started
        assert ws.wait_closed()[0] == 1012 and signals.wait_closed()[0] == 1012
        assert xhr.wait_closed()[0] in (1012, 1006)  # the close frame, or the poll cut by the exit
        log = server.log()
        assert f"{ws.sid} disconnected" in log and f"{xhr.sid} disconnected" in log
        assert "runsocket: stopped" in log and "Traceback" not in log
        assert took < 5, f"shutdown took {took:.1f}s"
    finally:
        server.stop()


def test_django_and_static_files_behind_tornado():
    with LiveServer("runsocket", args=["--django", "--static"], extra_apps=TEST_APPS) as server:
        body = urllib.request.urlopen(server.url + "/static/realtime/clientsignal.js").read()
        assert b"SignalSocket" in body
        page = urllib.request.urlopen(server.url + "/testapp/clientsignal").read().decode()
        assert 'id="clientsignal-config"' in page and "/static/realtime/sockjs.min.js" in page


def test_reload_mode_serves_and_stops():
    """``--reload`` runs the server in a thread of Django's reloader (no asyncio signal handlers there)."""
    server = LiveServer("runsocket", args=["--reload"]).start()
    try:
        with urllib.request.urlopen(server.url + "/healthz") as response:
            assert response.status == 200
        os.killpg(server.process.pid, signal.SIGTERM)
        assert server.process.wait(10) == 0
        assert "Traceback" not in server.log()
    finally:
        server.stop()
