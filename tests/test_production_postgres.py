"""Production on PostgreSQL: the supervisor + HAProxy stack with DATABASE_URL (issue 13 point 1).

The richest project, baked with ``database=postgresql``, runs exactly as
``tests/test_production.py`` runs it (``run_stack``), but on a real
PostgreSQL server: a uniquely named database is created on the server at
``REALTIME_TEST_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``)
and dropped afterwards. No server there: skipped with the reason, failed
under ``CI`` (the generated project's ``realtime/testing/postgres.py``,
loaded from the template, decides; one implementation for both).

Through HAProxy only:

1. Socket.IO and SockJS members on every socket process chat in one room;
   every acknowledged message reaches every member and is in PostgreSQL
   (read with psycopg, not through Django), and no SQLite file appears;
2. the database refuses connections for 4 s while messages arrive: senders
   get ``unavailable``, nothing acknowledged is lost, the same processes
   serve again once it is back, and no socket process logged a traceback;
3. the stack's connections stay within the pool budget (socket processes x
   ``DATABASE_POOL_MAX_SIZE`` + gunicorn workers).

``deploy/run`` refusing to start without ``DATABASE_URL`` is checked
without a stack.
"""

import importlib.util
import subprocess
import time

import pytest

from tests.conftest import SLUG_DIR, bake, child_env
from tests.test_production import (
    ROOM,
    Chatter,
    SocketIOMember,
    SockJSMember,
    missing,
    run_stack,
    short_tmp,  # noqa: F401 - a fixture this module's fixtures use
    sockjs_client_class,
)

pytestmark = pytest.mark.timeout(400)

WEB_WORKERS = 2  # run_stack's WEB_CONCURRENCY
POOL_MAX = 4
OUTAGE = 4.0


def postgres_helpers():
    """The generated project's ``realtime/testing/postgres.py`` (plain Python, psycopg only)."""
    spec = importlib.util.spec_from_file_location("baked_postgres", SLUG_DIR / "realtime/testing/postgres.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def database():
    with postgres_helpers().temporary_database(prefix="rt_production") as db:
        yield db


@pytest.fixture
def pg_stack(short_tmp, database):  # noqa: F811 - short_tmp is the imported fixture
    env = {"DATABASE_URL": database.url, "DATABASE_POOL_MAX_SIZE": str(POOL_MAX), "DATABASE_POOL_TIMEOUT": "2"}
    yield from run_stack(short_tmp, tls=False, database="postgresql", extra_env=env)


def stored_ids(database):
    rows = database.query(
        "SELECT m.id FROM chat_message m JOIN chat_room r ON r.id = m.room_id WHERE r.name = %s", [ROOM]
    )
    return {row[0] for row in rows}


def connections(database):
    return database.query("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database.name])[0][0]


def test_production_stack_on_postgresql(pg_stack, database):
    stack = pg_stack
    stack.wait_all_up()
    client_class = sockjs_client_class(stack.project)
    members = [SocketIOMember(stack.url, t, f"pgsio-{t}-{i}") for t in ("websocket", "polling") for i in range(2)]
    members += [SockJSMember(client_class, stack.url + "/sockjs", t, f"pgsjs-{t}-{i}") for t in ("websocket", "xhr")
                for i in range(2)]
    try:
        for member in members:
            assert member.joined.wait(30), f"{member.nickname} did not join: {member.errors}\n{stack.logs()}"
        spread = {port: stack.connections(port) for port in stack.socketio_ports + stack.sockjs_ports}

        # 1. chat across the processes, stored in PostgreSQL
        chatter = Chatter(members, "pg", interval=0.3)
        chatter.run_for(6)
        assert chatter.acked and not chatter.failed, chatter.errors[:5]
        lost = missing(members, chatter.acked, timeout=30)
        assert not lost, lost
        assert set(chatter.acked) <= stored_ids(database)
        assert not (stack.project / "db.sqlite3").exists(), "a process used SQLite instead of DATABASE_URL"
        peak = connections(database)

        # 2. the database unavailable while messages arrive
        during = Chatter(members, "outage", interval=0.3)
        during.thread.start()
        time.sleep(1.5)
        with database.outage():
            time.sleep(OUTAGE)
        time.sleep(6)  # the pools reconnect (psycopg_pool retries with a backoff)
        during.stop()
        refused = [e for e in during.errors if isinstance(e, dict)]
        assert refused and all(e.get("error") == "unavailable" for e in refused), during.errors[:5]
        assert not [e for e in during.errors if not isinstance(e, dict)], during.errors[:5]
        after = Chatter(members, "after", interval=0.3)
        after.run_for(3)
        assert after.acked and not after.failed, f"not serving after the outage: {after.errors[:5]}"
        acked = chatter.acked + during.acked + after.acked
        lost = missing(members, acked, timeout=30)
        assert not lost, lost
        assert set(acked) <= stored_ids(database), "an acknowledged message is not in PostgreSQL"
        peak = max(peak, connections(database))
    finally:
        for member in members:
            member.close()

    # 3. the connection budget
    socket_processes = len(stack.socketio_ports) + len(stack.sockjs_ports)
    budget = socket_processes * POOL_MAX + WEB_WORKERS
    assert peak <= budget, f"{peak} connections to the database, over the budget of {budget}"
    for name in [f"socketio-{p}.log" for p in stack.socketio_ports] + [f"sockjs-{p}.log" for p in stack.sockjs_ports]:
        log = stack.log(name)
        assert "Traceback" not in log, f"{name}:\n{log[-3000:]}"
    print(
        f"\nPostgreSQL production: {len(members)} members over {socket_processes} socket processes "
        f"(spread {spread}); {len(chatter.acked)} messages acked and delivered to all; around a {OUTAGE:g} s "
        f"outage {len(during.acked)} acked, {len(refused)} answered unavailable, then {len(after.acked)} acked; "
        f"0 acked messages lost; {peak} database connections at most when sampled (budget {budget})"
    )


def test_deploy_run_requires_database_url(tmp_path):
    """With PostgreSQL chosen, production never falls back to SQLite quietly."""
    project = bake(tmp_path / "out", redis="supervised", use_supervisor=True, use_haproxy=True)
    run = [str(project / "deploy" / "run"), "true"]
    env = child_env(DEBUG="false")
    refused = subprocess.run(run, env=env, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 78 and "DATABASE_URL is not set" in refused.stderr, refused.stderr
    assert "postgres://user:password@host:5432/name" in refused.stderr  # the fix, by example
    started = subprocess.run(run, env={**env, "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}, timeout=30)
    assert started.returncode == 0
    supervisor = (project / "deploy" / "supervisor.conf").read_text()
    assert supervisor.count('environment=DATABASE_POOL="true"') == 2  # the socket programs, not gunicorn
