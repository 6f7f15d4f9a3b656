"""A "ping everyone" flood reaches the others only up to the event limit (issue 16, point 7).

The attack: 1,000 ``ping_everyone`` in a burst reached every listener 1,000
times. With ``REALTIME_EVENT_BURST=10`` and ``REALTIME_EVENT_RATE=1``, a
listener gets at most the burst plus the refill; the flooder gets
``rate_limited`` errors and the server logs one line.
"""

import json
import time

import pytest

from pingpong.tests.test_pingpong_live import TRANSPORTS, Player
from realtime.testing import LiveServer

SENT = 60


@pytest.fixture(params=TRANSPORTS)
def server(request):
    command, args = ("rungevent", []) if request.param == "socketio" else ("runsocket", ["--django"])
    env = {"REALTIME_TEST_SETTINGS": json.dumps({"REALTIME_EVENT_RATE": 1, "REALTIME_EVENT_BURST": 10})}
    with LiveServer(command, args=args, env=env) as live:
        live.transport = request.param
        yield live


def test_a_ping_everyone_flood_is_cut_at_the_limit(server):
    flooder, listener = Player(server.transport, server), Player(server.transport, server)
    try:
        started = time.monotonic()
        for i in range(SENT):
            flooder.signal("ping_everyone", name=f"bot{i}")
        assert flooder.receive("error", timeout=10)["error"] == "rate_limited"
        received = []
        try:
            while True:
                received.append(listener.receive("pinged", timeout=2))
        except TimeoutError:
            pass
        elapsed = time.monotonic() - started
        assert 10 <= len(received) <= 10 + int(elapsed) + 1, (len(received), elapsed)
        assert received[:10] == [{"name": f"bot{i}"} for i in range(10)]
    finally:
        flooder.close()
        listener.close()
    log = server.log()
    assert log.count("refusing events from") == 1 and "Traceback" not in log
