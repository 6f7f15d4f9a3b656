"""Redis restarts under real servers and clients (the URL has a password and a db number).

No socket process exits, local delivery goes on, cross-process delivery
resumes, and the test prints how many messages were sent during the gap.
"""

import time
import uuid

from realtime.testing.redis_setup import RedisServer
from realtime.tests.live.redis_cluster import TRANSPORTS, Cluster, client_for, join


def test_redis_restart_with_password_and_db(tmp_path):
    own = RedisServer(password="pw-" + uuid.uuid4().hex[:8]).start()
    cluster = None
    clients = []
    try:
        cluster = Cluster(own.url(db=5), per_transport=1 if len(TRANSPORTS) > 1 else 2)  # two processes
        assert own.client(db=5).hlen(f"{cluster.prefix}:processes") == len(cluster.servers)  # db 5 honoured
        assert own.client(db=0).hlen(f"{cluster.prefix}:processes") == 0
        room = "restart"
        for server in cluster.servers:
            for _ in range(2):
                c = client_for(server, server.transport)
                join(c, room)
                clients.append((server, c))

        clients[0][1].emit("to_room", room, "before")
        for _, c in clients:
            assert c.receive("room_message", timeout=10) == "before"

        own.stop()
        time.sleep(1)
        gap = 10
        senders = {}  # one sender per process: every transport keeps serving while Redis is down
        for server, c in clients:
            senders.setdefault(server, c)
        slowest = 0.0
        for server, sender in senders.items():
            for i in range(gap):
                started = time.monotonic()
                sender.emit("to_room", room, f"gap-{server.port}-{i}")  # the ack: the server kept serving
                slowest = max(slowest, time.monotonic() - started)
        assert slowest < 1.0, f"an event took {slowest:.2f}s to be acked while Redis was down"
        for server, c in clients:  # same process: delivered, Redis or not
            got = [c.receive("room_message", timeout=5) for _ in range(gap)]
            assert got == [f"gap-{server.port}-{i}" for i in range(gap)], got
        assert all(s.process.poll() is None for s in cluster.servers), "a socket process exited"

        own.start()
        deadline = time.monotonic() + 20
        while True:  # at-most-once: probe until every process hears every other again
            probes = [f"after-{server.port}-{time.monotonic():.3f}" for server in senders]
            for probe, sender in zip(probes, senders.values()):
                sender.emit("to_room", room, probe)
            time.sleep(0.5)
            if all(p in c.received("room_message") for _, c in clients for p in probes):
                break
            assert time.monotonic() < deadline, "cross-process delivery did not resume"
        for server, c in clients:  # pub/sub is at-most-once: the other processes' gap is not replayed
            gap_here = [m for m in c.received("room_message") if m.startswith("gap-")]
            assert gap_here == [f"gap-{server.port}-{i}" for i in range(gap)], gap_here
        assert all(s.process.poll() is None for s in cluster.servers), "a socket process exited"
        for server in cluster.servers:
            log = server.log()
            assert log.count("Redis bus unreachable") == 1, log[-3000:]
            assert "Redis bus back" in log
            assert "pw-" not in log  # the password is never logged
        print(
            f"\nRedis restart: {gap} messages sent by each of {len(senders)} processes during the gap; each "
            f"reached its own process's clients, none the other processes' (at-most-once); "
            f"delivery resumed after the restart; slowest ack during the gap {slowest * 1000:.0f} ms"
        )
    finally:
        for _, c in clients:
            c.close()
        if cluster:
            cluster.stop()
        own.stop()


def test_socket_processes_start_while_redis_is_down_and_join_it_later():
    """Redis down at start-up: each real socket process serves, logs one line, retries, then joins."""
    from realtime.testing import LiveServer
    from realtime.tests.live.redis_cluster import COMMANDS
    from realtime.tests.live.redis_harness import unique_prefix

    own = RedisServer()  # its port is chosen; nothing listens there yet
    env = {"REDIS_URL": own.url(), "REALTIME_CHANNEL_PREFIX": unique_prefix()}
    servers, clients = [], []
    try:
        database = None
        for transport in TRANSPORTS:
            server = LiveServer(COMMANDS[transport], env=env, database=database, extra_apps=["realtime.tests.testapp"])
            server.transport = transport
            servers.append(server.start())  # /healthz answers: it serves without Redis
            database = server.database
        for server in servers:
            c = client_for(server, server.transport)
            join(c, "early")
            clients.append(c)
        clients[0].emit("to_room", "early", "local only")
        assert clients[0].receive("room_message", timeout=5) == "local only"  # its own process delivers

        time.sleep(2)  # a few reconnect attempts
        own.start()
        started = time.monotonic()
        deadline = started + 20
        while not all("Redis bus back" in s.log() for s in servers):
            assert time.monotonic() < deadline, [s.log()[-1500:] for s in servers]
            time.sleep(0.2)
        joined = time.monotonic() - started
        if len(servers) > 1:  # across processes once Redis answers
            clients[0].emit("to_room", "early", "across")
            assert clients[1].receive("room_message", timeout=10) == "across"
        for server in servers:
            assert server.log().count("Redis bus unreachable") == 1, server.log()[-2000:]
            assert server.process.poll() is None
        print(
            f"\nRedis down at start-up: {len(servers)} socket process(es) served meanwhile; "
            f"joined {joined:.1f}s after it came up"
        )
    finally:
        for c in clients:
            (getattr(c, "disconnect", None) or c.close)()
        for server in servers:
            server.stop()
        own.stop()
