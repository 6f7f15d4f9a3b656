"""sockjs-client 1.6, the official client from npm, against a baked project's ``runsocket``.

The project is baked (SockJS only, no Redis: what the SockJS server does does
not depend on the bus), migrated, and its ``runsocket`` started with the
generated test app's endpoints (``realtime.tests.testapp.settings_clientsignal``):
the core endpoint ``/sockjs``, the client-signal endpoint ``/simple``, a plain
``SockJSConnection`` ``/plain``, and sessions the server closes in ``on_open``
(``/plain_close``, ``/closing``, ``/sockjs?refuse=1``). ``official/sockjs_client.js``
runs sockjs-client over each transport Node can run (websocket, xhr-streaming,
xhr-polling, eventsource) and prints what it saw; this test asserts on it.
jsonp-polling, htmlfile and the iframe transports need a DOM: the generated
project's Chromium test (``test_sockjs_browser.py``) runs them.
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

from tests.conftest import bake, child_env
from tests.npm import npm_install, require_node, run_node

SCRIPT = Path(__file__).parent / "official" / "sockjs_client.js"
TRANSPORTS = ["websocket", "xhr-streaming", "xhr-polling", "eventsource"]
CLOSES = {
    "/plain_close": [3000, "Go away!"],
    "/plain_close?code=4001&reason=%22quoted%22%20%5C%20%C3%A9": [4001, '"quoted" \\ é'],
    "/closing": [4000, "disconnect"],
    "/sockjs?refuse=1": [4403, "refused"],
}

pytestmark = pytest.mark.timeout(600)


def free_port():
    for _ in range(200):
        port = random.randrange(20000, 30000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def runsocket(tmp_path_factory):
    """The baked project's ``runsocket`` with the generated test app's endpoints; yields its URL."""
    require_node()  # skip (or fail, in CI) before baking anything
    tmp = tmp_path_factory.mktemp("official-sockjs")
    project = bake(tmp / "out", transport="sockjs", redis="none", include_chat_example=False)
    slug = project.name
    env = child_env(
        DJANGO_SETTINGS_MODULE="realtime.tests.testapp.settings_clientsignal",
        REALTIME_TEST_BASE_SETTINGS=f"{slug}.settings",
        REALTIME_TEST_EXTRA_APPS="realtime.tests.testapp",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=project, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    log = open(tmp / "runsocket.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsocket", "--port", str(port), "--address", "127.0.0.1"],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp / "runsocket.log").read_text()
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "runsocket did not answer /healthz in 30 s"
                time.sleep(0.2)
        yield url, tmp / "runsocket.log"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_sockjs_client_16_over_every_node_transport(tmp_path, runsocket):
    url, log = runsocket
    modules = npm_install(tmp_path / "npm", "sockjs-client@1.6")
    done = run_node(SCRIPT, url, cwd=tmp_path, env={"NODE_PATH": str(modules)}, timeout=400)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(report, ensure_ascii=False))  # shown with -s: what the official client saw
    assert report["version"].startswith("1.6.")
    results = {(r["transport"], r["endpoint"]): r for r in report["results"]}
    for transport in TRANSPORTS:
        core, signal_, plain = (results[(transport, e)] for e in ("/sockjs", "/simple", "/plain"))
        for result in (core, signal_, plain):
            assert result["used"] == transport and result["ok"], result
            assert result["close"] == [1000, "done"], result  # closed by the client, after the answer
        assert core["got"] == ["marco", {"n": 1}]
        assert signal_["got"] == "just you"
        assert plain["got"] == 'echo:polo "quoted" é'
        for endpoint, close in CLOSES.items():
            result = results[(transport, endpoint)]
            assert result["used"] == transport and result["close"] == close, result
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "HTTPOutputError" not in text, text[-3000:]
