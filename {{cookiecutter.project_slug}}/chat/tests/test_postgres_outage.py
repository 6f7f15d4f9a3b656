"""The chat while its PostgreSQL database is down (issue 13: faults).

Each transport's server runs as production does (a real PostgreSQL database,
fresh and dropped afterwards, and the socket processes' connection pool). A
member sends a message every 50 ms; a second member listens. Two seconds in,
the database refuses every connection and its open ones are cut
(``ALTER DATABASE ... ALLOW_CONNECTIONS false`` and ``pg_terminate_backend``)
for four seconds, then comes back. What must hold:

- during the outage the sender gets ``{error: "unavailable"}``, not a
  server error, and the server logs one line per failure (no traceback);
- the same process serves again once the database is back (acks ``ok``);
- nothing acknowledged is lost: every id acked ``ok`` is in the database and
  reached the listener.
"""

import json
import threading
import time

import pytest

from realtime import conf

from realtime.testing import LiveServer
from realtime.testing.postgres import temporary_database

ROOM = "outage"
OUTAGE = 4.0
#: After the outage, the sender goes on until this many messages were stored again.
STORED_AFTER = 10


@pytest.fixture(scope="module")
def database():
    with temporary_database() as db:
        yield db


def stored_ids(database):
    rows = database.query(
        "SELECT m.id FROM chat_message m JOIN chat_room r ON r.id = m.room_id WHERE r.name = %s", [ROOM]
    )
    return {row[0] for row in rows}


@pytest.mark.parametrize("transport", conf.transports())
def test_database_outage_answers_unavailable_and_loses_nothing(database, transport):
    env = {
        "DATABASE_URL": database.url,
        "DATABASE_POOL": "true",
        # A message waits at most this long for a connection during the outage.
        "DATABASE_POOL_TIMEOUT": "1",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "REALTIME_TEST_SETTINGS": json.dumps({"CHAT_RATE_LIMIT": [1000, 1]}),
    }
    with LiveServer.for_transport(transport, env=env, timeout=60) as server:
        server.manage("shell", "-c", f"from chat.models import Room; Room.objects.get_or_create(name={ROOM!r})")
        sender, listener = server.client(timeout=30), server.client(timeout=30)
        answers = []  # (sent at, answered at, ack)
        try:
            for client, name in ((sender, f"s-{transport}"), (listener, f"l-{transport}")):
                joined = client.emit("chat:join", {"room": ROOM, "nickname": name})
                assert joined.get("ok"), joined
            stop = threading.Event()

            def send():
                n = 0
                while not stop.is_set():
                    n += 1
                    sent = time.monotonic()
                    ack = sender.emit("chat:message", {"room": ROOM, "text": f"m{n}"})
                    answers.append((sent, time.monotonic(), ack))
                    time.sleep(0.05)

            thread = threading.Thread(target=send)
            thread.start()
            try:
                time.sleep(2)
                with database.outage():
                    outage_started = time.monotonic()
                    time.sleep(OUTAGE)
                outage_ended = time.monotonic()
                deadline = outage_ended + 60
                while time.monotonic() < deadline:
                    after = [a for t, _, a in answers if t > outage_ended and a.get("ok")]
                    if len(after) >= STORED_AFTER:
                        break
                    time.sleep(0.1)
            finally:
                stop.set()
                thread.join(60)
            acked = {a["id"] for _, _, a in answers if a.get("ok")}
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not acked <= {m["id"] for m in listener.received("chat:message")}:
                time.sleep(0.1)
            heard = {m["id"] for m in listener.received("chat:message")}
        finally:
            sender.close()
            listener.close()
        log = server.log()

    errors = [a for _, _, a in answers if not a.get("ok")]
    # Sent and answered while the database refused connections (one sent just before the end
    # may wait for a pooled connection and be stored once the database is back: that is fine).
    during = [a for sent, answered, a in answers if outage_started < sent and answered < outage_ended]
    recovered = [a for sent, _, a in answers if sent > outage_ended and a.get("ok")]
    print(
        f"\n{transport}: {len(answers)} messages sent, {len(acked)} acked ok, {len(errors)} answered "
        f"{sorted({a.get('error') for a in errors})} during a {OUTAGE:g} s outage; "
        f"{len(acked - stored_ids(database))} acked but not stored, {len(acked - heard)} acked but not heard"
    )
    assert errors, "the outage did not reach the chat"
    assert all(a.get("error") == "unavailable" for a in errors), errors
    assert len(during) >= 2 and all(a.get("error") == "unavailable" for a in during), during
    assert len(recovered) >= STORED_AFTER, f"the process did not serve again after the outage:\n{log[-3000:]}"
    assert acked <= stored_ids(database), "an acknowledged message is not in the database"
    assert acked <= heard, f"the listener missed acknowledged messages: {sorted(acked - heard)}"
    assert "Traceback" not in log, log[-5000:]
    assert "database unavailable" in log
