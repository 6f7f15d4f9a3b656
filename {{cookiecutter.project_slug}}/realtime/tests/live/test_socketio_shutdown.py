"""``rungevent`` on SIGTERM: the ack in flight is answered before the transports end.

A receiver still running when the server aborts its Engine.IO transports
could no longer ack: a chat line stored, its sender never told. The
shutdown now lets the events already read finish first (bounded), and
runs none read after it started.
"""

import time

from realtime.testing import LiveServer, SocketIOTestClient
from realtime.tests.conftest import TEST_APPS
from realtime.tests.live.probes import sigterm_during_naps


def test_sigterm_answers_the_ack_in_flight_then_tells_clients_to_reconnect():
    server = LiveServer("rungevent", extra_apps=TEST_APPS).start()
    try:
        transports = ("websocket", "polling")
        clients = [SocketIOTestClient(server.url, transports=[t], timeout=15) for t in transports]
        assert all(c.connected for c in clients)
        answers, started = sigterm_during_naps(server, dict(zip(transports, clients)))
        assert answers == {"websocket": "rested", "polling": "rested"}, answers
        assert server.process.wait(10) == 0
        assert time.monotonic() - started < 6
        for client in clients:  # the transport ended (not a Socket.IO DISCONNECT): clients reconnect
            assert client.disconnected.wait(10)
        log = server.log()
        assert "telling 2 connection(s) to reconnect" in log and "Traceback" not in log, log
    finally:
        server.stop()
        for client in clients:
            client.disconnect()
