"""``runsocket`` on SIGTERM: in-flight acks are answered, every session gets 1012.

Under heavy load the shutdown used to miss sessions whose socket was still
connecting (its ``socket_connected`` receivers queued in a worker, the
socket not yet in ``connected_sockets``): they saw their connection drop
(1006) instead of the 1012 that tells a client to reconnect. And an event
in a receiver when the close frame went out lost its ack: a chat line
stored, its sender never told. Both are made to happen here on purpose.
"""

import os
import signal
import threading
import time

from realtime.testing import LiveServer, SockJSTestClient
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS
from realtime.tests.live.probes import sigterm_during_naps


def _start():
    return LiveServer("runsocket", extra_apps=TEST_APPS, env={"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}).start()


def test_sigterm_answers_the_ack_in_flight_then_closes_with_restart():
    server = _start()
    try:
        clients = [SockJSTestClient(server.url + "/sockjs", transport=t, timeout=15) for t in ("websocket", "xhr")]
        assert all(c.connected for c in clients)
        answers, started = sigterm_during_naps(server, {c.transport: c for c in clients})
        assert answers == {"websocket": "rested", "xhr": "rested"}, answers
        assert server.process.wait(10) == 0
        took = time.monotonic() - started
        assert tuple(clients[0].wait_closed()) == (1012, "server restart"), clients[0].wait_closed()
        assert clients[1].wait_closed()[0] in (1012, 1006)  # the close frame, or the poll cut by the exit
        assert took < 5, f"shutdown took {took:.1f}s"
        log = server.log()
        assert "runsocket: stopped" in log and "Traceback" not in log, log
    finally:
        server.stop()


def test_sigterm_reaches_a_session_still_connecting():
    """All 8 workers busy (the default pool): a new session's connect waits behind them, as
    under heavy load. The flaky ``test_sigterm_closes_clients_with_restart_and_exits_zero``
    SIGTERMed its client-signal session (open at its ``o`` frame) in that window."""
    server = _start()
    try:
        sleepers = [SockJSTestClient(server.url + "/sockjs", timeout=15) for _ in range(8)]
        threads = [threading.Thread(target=c.emit, args=("nap", 1.0), kwargs={"timeout": 10}) for c in sleepers]
        for thread in threads:
            thread.start()
        time.sleep(0.3)  # every worker is asleep in a receiver
        client = SockJSTestClient(server.url + "/simple", clientsignal=True, timeout=15)
        assert client.connected  # its `o` frame came; its connect is queued behind the sleepers
        os.killpg(server.process.pid, signal.SIGTERM)
        assert client.wait_closed(10)[0] == 1012, (client.close_code, client.close_reason)
        assert all(c.wait_closed(10)[0] == 1012 for c in sleepers)
        assert server.process.wait(10) == 0
        assert "Traceback" not in server.log()
        for thread in threads:
            thread.join(10)
    finally:
        server.stop()
