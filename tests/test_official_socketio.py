"""The official socket.io-client 4.8 (from npm, run by Node) against a baked project's rungevent.

The Node script (``official/socketio_client.js``) covers websocket only,
polling only, the polling -> websocket upgrade, binary payloads and acks both
ways on a custom namespace, and the ping/pong example's client-signal
namespace. The server runs the generated project's ``protocolapp`` receivers
(the server the Socket.IO protocol's own test suite expects). Skipped with
the reason when Node or npm is missing (a failure in CI).
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import bake, child_env, run_manage
from tests.npm import npm_install, require_node, run_node

SCRIPT = Path(__file__).parent / "official" / "socketio_client.js"


def free_port():
    """A port below the ephemeral range that nothing listens on."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory):
    require_node()
    return npm_install(tmp_path_factory.mktemp("npm"), "socket.io-client@4.8")


@pytest.fixture(scope="module")
def rungevent(tmp_path_factory):
    """The default project's rungevent, with protocolapp's receivers, on a free port."""
    project = bake(tmp_path_factory.mktemp("bake"))
    env = {
        "DJANGO_SETTINGS_MODULE": "realtime.tests.protocolapp.settings",
        "REALTIME_TEST_BASE_SETTINGS": f"{project.name}.settings",
        "REALTIME_TEST_EXTRA_APPS": "realtime.tests.protocolapp",
        "DATABASE_URL": f"sqlite:///{project / 'official-clients.sqlite3'}",
    }
    migrated = run_manage(project, "migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    port = free_port()
    log = open(project / "rungevent.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rungevent", f"127.0.0.1:{port}"],
        cwd=project,
        env=child_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, (project / "rungevent.log").read_text()
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "rungevent did not answer /healthz:\n" + (
            project / "rungevent.log"
        ).read_text()
        time.sleep(0.2)
    yield url, project / "rungevent.log"
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    log.close()


@pytest.fixture(scope="module")
def results(node_modules, rungevent):  # node first: a missing npm skips before baking
    url, log = rungevent
    finished = run_node(SCRIPT, url, node_modules, cwd=SCRIPT.parent, timeout=180)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON from the script:\n{finished.stdout}\n{finished.stderr}"
    out = json.loads(lines[-1])
    failed = {name: case["error"] for name, case in out.items() if not case.get("ok")}
    assert not failed, f"{failed}\nserver log:\n{log.read_text()[-3000:]}"
    assert "Traceback" not in log.read_text(), log.read_text()
    return out


@pytest.mark.parametrize(
    "case, transport, token",
    [("websocket", "websocket", "ws"), ("polling", "polling", "poll"), ("upgrade", "websocket", "up")],
)
def test_transports(results, case, transport, token):
    got = results[case]
    assert got["transport"] == transport
    assert got["auth"] == {"token": token}  # emitted by a socket_connected receiver
    assert got["ack"] == [1, "two", {"three": [True]}]
    assert got["sid"] is True


def test_binary_payloads_and_acks_both_ways_on_a_custom_namespace(results):
    got = results["binary_and_acks"]
    assert got["namespace"] == "/custom"
    assert (got["ackBytes"], got["ackNested"]) == ([1, 2, 3], [4, 5])
    assert (got["backBytes"], got["backText"]) == ([6, 7], "text")
    assert got["serverAckBytes"] == [[8], [9, 9]]


def test_client_signal_namespace(results):
    got = results["client_signal"]
    assert got["namespace"] == "/pingpong"
    assert got["pong"]["seq"] == 7
