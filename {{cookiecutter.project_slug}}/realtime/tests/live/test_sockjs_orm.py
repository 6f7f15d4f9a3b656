"""ORM work in receivers under 50 concurrent SockJS clients (receivers run off the loop).

Each client's receiver writes a row and runs a query that keeps SQLite busy
for a while. Every write must land, no ``SynchronousOnlyOperation`` may
appear, and SockJS heartbeats (sent by the tornado loop every 0.5 s here)
must keep flowing on an idle connection while the queries run.
"""

import sqlite3
import threading
import time

import pytest

from realtime.testing import LiveServer, SockJSTestClient
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS

CLIENTS = 50


@pytest.fixture(scope="module")
def server():
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS, "REALTIME_TEST_HEARTBEAT": "0.5"}
    with LiveServer("runsocket", extra_apps=TEST_APPS, env=env) as live:
        yield live


def test_orm_writes_under_concurrent_clients_keep_the_loop_free(server):
    observer = SockJSTestClient(server.url + "/sockjs")
    clients = [SockJSTestClient(server.url + "/sockjs", transport="websocket", timeout=60) for _ in range(CLIENTS)]
    acks, errors = [], []

    def work(i, client):
        try:
            acks.append(client.emit("db_slow", f"slow-{i}", timeout=60))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    time.sleep(1.2)
    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    elapsed = time.monotonic() - started
    beats = [t for t in observer.heartbeats if t >= started - 0.5]
    for c in [observer, *clients]:
        c.close()

    assert not errors, errors
    assert len(acks) == CLIENTS and all(1 <= n <= CLIENTS for n in acks)  # each read its own write
    assert max(acks) == CLIENTS  # the last reader saw every write
    with sqlite3.connect(server.database) as db:
        (count,) = db.execute("SELECT count(*) FROM auth_user WHERE username LIKE 'slow-%'").fetchone()
    assert count == CLIENTS
    gaps = [b - a for a, b in zip([started, *beats], [*beats, started + elapsed])]
    print(f"\n{CLIENTS} clients, ORM receivers took {elapsed:.2f}s; {len(beats)} heartbeats, max gap {max(gaps):.2f}s")
    assert elapsed > 1.0, "the queries were too quick to show anything"
    assert max(gaps) < 1.5, f"the loop stalled: heartbeat gap {max(gaps):.2f}s"
    log = server.log()
    assert "SynchronousOnlyOperation" not in log and "database is locked" not in log
