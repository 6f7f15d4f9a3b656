"""The live dashboard lists every socket process on ``make run``'s setup, as in production.

rundev serves Socket.IO and SockJS from two processes; the dashboard page and
``stats.json`` are served by one of them. Each process's figures must reach
the other: over the local bus's shared file in development, over the networked bus in
production (``realtime.testing.setups``). Before, the development dashboard
listed only the process that served the page.
"""

import time

import pytest
import requests

from realtime import dashboard
from realtime.testing import LiveServer, SocketIOTestClient, SockJSTestClient, setups

TEST_APPS = ["realtime.tests.testapp"]


@pytest.fixture(scope="module", params=setups.names())
def servers(request, tmp_path_factory):
    """``(socketio, sockjs)`` servers sharing one bus setup and one database."""
    tmp = tmp_path_factory.mktemp("both-dashboard")
    with setups.bus_env(request.param, tmp) as env:
        database = str(tmp / "db.sqlite3")
        with (
            LiveServer("rungevent", extra_apps=TEST_APPS, env=env, database=database) as socketio,
            LiveServer("runsocket", extra_apps=TEST_APPS, env=env, database=database) as sockjs,
        ):
            yield socketio, sockjs


def by_transport(rows):
    """``{transport: connections}`` summed over the rows of the processes that serve it."""
    totals = {}
    for row in rows:
        for transport, count in row.get("connections", {}).items():
            totals[transport] = totals.get(transport, 0) + count
    return totals


def test_both_processes_show_on_the_dashboard(servers):
    socketio, sockjs = servers
    staff = socketio.login("dash-staff", is_staff=True)
    with (
        SocketIOTestClient(socketio.url, cookies=staff, timeout=10) as watcher,
        SockJSTestClient(sockjs.url + "/sockjs", timeout=10) as sjs,
    ):
        sjs.emit("whoami")
        started = time.monotonic()
        rows = []
        while time.monotonic() - started < 15:  # each process shares its figures every second or so
            response = requests.get(socketio.url + "/realtime/stats.json", cookies=staff, timeout=10)
            assert response.status_code == 200, response.text[:300]
            rows = response.json()["processes"]
            if by_transport(rows).get("sockjs") == 1:
                break
            time.sleep(0.2)
        listed_after = time.monotonic() - started
        assert len(rows) == 2, rows
        assert by_transport(rows) == {"socketio": 1, "sockjs": 1}, rows
        assert sorted(sum((row["transports"] for row in rows), [])) == ["socketio", "sockjs"]

        # the live feed: the watch ack lists both, then both processes push their figures
        answer = watcher.emit(dashboard.WATCH, {})
        assert answer["ok"] and len(answer["stats"]["processes"]) == 2
        assert answer["stats"]["totals"]["connections_by_transport"] == {"socketio": 1, "sockjs": 1}
        deadline = time.monotonic() + 15
        heard = set()
        while time.monotonic() < deadline and len(heard) < 2:
            time.sleep(0.2)
            heard = {tuple(row["transports"]) for row in watcher.received(dashboard.EVENT)}
        assert heard == {("socketio",), ("sockjs",)}, heard
        print(f"\ndashboard: both processes listed after {listed_after:.1f}s")
