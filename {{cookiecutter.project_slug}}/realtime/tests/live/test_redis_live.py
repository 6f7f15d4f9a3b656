"""The Redis bus end to end: real ``rungevent`` and ``runsocket`` processes.

What the issue asks, seen from real clients over the real wire:

1. two Socket.IO and two SockJS processes: an emit to a room from a client of
   either transport, and ``realtime.emit`` from a plain ``manage.py shell``
   process, reach exactly the room's clients on all four processes, once each;
2. presence lists members across processes, and a SIGKILLed process's
   members leave presence within ``REALTIME_PRESENCE_TTL``;
3. Redis restarts: ``test_redis_live_restart.py``;
5. 200 clients on one process of each transport: the number of Redis
   connections (``CLIENT LIST``) does not change.

A project generated with one transport runs the half that applies to it.
"""

import json
import time
import uuid

import pytest
import websocket

from realtime.testing.redis_setup import RedisServer, shared_redis_url
from realtime.tests.live.redis_cluster import TRANSPORTS, TTL, Cluster, client_for, join
from realtime.tests.live.redis_signals import SIGNAL_URL


@pytest.fixture(scope="module")
def cluster():
    url = shared_redis_url()
    own = None
    if url is None:
        own = RedisServer().start()
        url = own.url()
    c = Cluster(url)
    yield c
    c.stop()
    if own:
        own.stop()


# -- 1. fan-out across four processes and two transports -------------------------------------


def test_room_emit_reaches_each_member_once_on_every_process(cluster):
    room = f"r-{uuid.uuid4().hex[:6]}"
    members, outsiders = [], []
    try:
        for server in cluster.servers:
            for _ in range(2):
                c = client_for(server, server.transport)
                join(c, room)
                members.append(c)
            outsiders.append(client_for(server, server.transport))

        sent = []
        for n, server in enumerate(cluster.servers):  # a client of every process emits once
            payload = f"from-{server.command}-{n}"
            members[2 * n].emit("to_room", room, payload)
            sent.append(payload)
        cluster.shell(f"import realtime; realtime.emit('room_message', 'from-shell', room={room!r})")
        sent.append("from-shell")

        for c in members:
            got = [c.receive("room_message", timeout=10) for _ in sent]
            assert sorted(got) == sorted(sent), got
        for c in members:
            c.assert_nothing("room_message", within=0.05)  # once each
        time.sleep(0.3)
        for c in members + outsiders:
            assert sorted(c.received("room_message")) == (sorted(sent) if c in members else [])
        print(
            f"\nfan-out: {len(sent)} emits x {len(members)} members on {len(cluster.servers)} processes "
            f"({', '.join(s.command for s in cluster.servers)}): each delivered once"
        )
    finally:
        for c in members + outsiders:
            c.close()


def test_broadcast_client_signal_sent_from_a_plain_process(cluster):
    """Django Client Signals' ``pong.send(...)`` from a shell reaches client-signal clients everywhere."""
    clients = []
    try:
        for server in cluster.servers:
            if server.transport == "socketio":
                from realtime.testing import SocketIOTestClient

                clients.append(SocketIOTestClient(server.url, namespace=SIGNAL_URL, timeout=10))
            else:
                from realtime.testing import SockJSTestClient

                clients.append(SockJSTestClient(server.url + SIGNAL_URL, timeout=10))
        cluster.shell(
            "from realtime.tests.live.redis_signals import bus_signal; "
            "bus_signal.send(sender=None, text='from-shell', n=1)"
        )
        for server, c in zip(cluster.servers, clients):
            assert c.receive("bus_signal", timeout=10) == {"text": "from-shell", "n": 1}, server.log()[-3000:]
        for c in clients:
            c.assert_nothing("bus_signal", within=0.05)
    finally:
        for c in clients:
            c.close()


def test_stats_report_every_process(cluster):
    """/realtime/stats.json, served by any Django process, lists every socket process."""
    import requests

    web = next((s for s in cluster.servers if s.command == "rungevent"), None)
    if web is None:  # a SockJS-only project: Django runs in a plain process here
        rows = json.loads(
            cluster.shell("import json; from realtime.bus import get_bus; print(json.dumps(get_bus().stats()))")
        )
    else:
        staff = web.login("stats-staff", is_staff=True)
        assert requests.get(web.url + "/realtime/stats.json", timeout=10, allow_redirects=False).status_code == 403
        response = requests.get(web.url + "/realtime/stats.json", cookies=staff, timeout=10, allow_redirects=False)
        assert response.status_code == 200, response.text[:500]
        assert response.json()["networked"] is True
        rows = response.json()["processes"]
        page = requests.get(web.url + "/realtime/", cookies=staff, timeout=10, allow_redirects=False)
        assert page.status_code == 200 and "Realtime dashboard" in page.text
    processes = {r["process"] for r in rows}
    assert set(cluster.processes()) <= processes
    assert len(processes) >= len(cluster.servers)


def test_dashboard_feed_hears_every_process(cluster):
    """A staff dashboard socket on one process gets every process's figures each second, over Redis."""
    from realtime import dashboard

    def connect(server, cookies=None):  # the wire client of the server's transport (a project may have one)
        return server.client(cookies=cookies, timeout=10)

    home = cluster.servers[-1]
    # one client on every other process: with a networked bus, a process reports once it has served one
    others = [connect(server) for server in cluster.servers if server is not home]
    watcher = connect(home, cookies=home.login("feed-staff", is_staff=True))
    try:
        answer = watcher.emit(dashboard.WATCH, {})
        assert answer["ok"] and answer["stats"]["networked"] is True
        assert answer["stats"]["bus"]["backend"] == "RedisBus"
        expected = set(cluster.processes())
        assert len(expected) == len(cluster.servers)
        deadline = time.monotonic() + 20  # presence is checked every 3 s, reports every second
        heard = {}
        while time.monotonic() < deadline and set(heard) < expected:
            time.sleep(0.2)
            heard = {row["process"]: row for row in watcher.received(dashboard.EVENT)}
        assert set(heard) >= expected, f"no report from {expected - set(heard)}"
        for process, row in heard.items():
            assert row["bus"]["backend"] == "RedisBus" and row["bus"]["up"] is True, row
        assert sum(heard[p]["connections_total"] for p in expected) >= len(cluster.servers)
        # a plain client is refused the feed
        assert others[0].emit(dashboard.WATCH, {})["error"] == "forbidden"
    finally:
        for client in [*others, watcher]:
            (client.disconnect if hasattr(client, "disconnect") else client.close)()


# -- 5. no Redis connection per client ------------------------------------------------------------


def raw_socketio(server, room):
    """A bare Engine.IO websocket client (no thread): connect, join ``room``."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=10)
    assert ws.recv().startswith("0")
    ws.send("40")
    while not ws.recv().startswith("40"):
        pass
    ws.send("421" + json.dumps(["join", room]))  # event "join", ack id 1
    return ws


def raw_sockjs(server, room):
    """A bare SockJS websocket client: open, join ``room`` with our framing."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/sockjs/000/{uuid.uuid4().hex[:8]}/websocket", timeout=10
    )
    assert ws.recv() == "o"
    frame = {"type": "event", "event": "join", "args": [room], "id": 1}
    ws.send(json.dumps([json.dumps(frame)]))
    return ws


def connection_names(cluster):
    return sorted(c["name"] for c in cluster.redis.client_list() if c.get("name", "").startswith(cluster.prefix + ":"))


def test_200_clients_do_not_open_redis_connections(cluster):
    before = connection_names(cluster)
    assert len(before) == 2 * len(cluster.processes())  # a command connection and a subscriber each
    sockets = []
    try:
        for server in cluster.servers[:: 2 if len(TRANSPORTS) == 2 else 1][: len(TRANSPORTS)]:
            make = raw_socketio if server.transport == "socketio" else raw_sockjs
            sockets += [make(server, "crowd") for _ in range(200)]
        deadline = time.monotonic() + 20
        while sum(cluster.processes()[p]["connections_total"] for p in cluster.processes()) < len(sockets):
            assert time.monotonic() < deadline, cluster.processes()
            time.sleep(0.2)
        cluster.shell("import realtime; realtime.emit('room_message', 'crowd', room='crowd')")
        members = cluster.presence("crowd")
        assert len(members) == len(sockets)
        during = connection_names(cluster)
        print(f"\n{len(sockets)} clients: Redis connections of the socket processes {len(before)} -> {len(during)}")
        assert during == before
    finally:
        for ws in sockets:
            ws.close()


# -- 2. presence across processes; a crash leaves no ghost (last: it kills a server) ------------


def test_presence_across_processes_and_sigkill_bound(cluster):
    room = f"p-{uuid.uuid4().hex[:6]}"
    clients = []
    try:
        for server in cluster.servers:
            c = client_for(server, server.transport)
            join(c, room)
            clients.append((server, c))
        sids = {c.sid for _, c in clients}
        members = cluster.presence(room)
        assert {m["sid"] for m in members} == sids
        assert {m["transport"] for m in members} == set(TRANSPORTS)
        assert len({m["process"] for m in members}) == len(cluster.servers)

        victim, victim_client = clients[-1]
        victim_sid = victim_client.sid  # read now: a client's sid may be gone once it is disconnected
        victim_process = next(m["process"] for m in members if m["sid"] == victim_sid)
        alive_key = f"{cluster.prefix}:alive:{victim_process}"
        assert cluster.redis.exists(alive_key)
        victim.kill()  # SIGKILL: no chance to clean up
        killed = time.monotonic()
        while cluster.redis.exists(alive_key):  # presence() lists a process only while this key lives
            assert time.monotonic() - killed < TTL + 2, "the dead process's heartbeat did not expire"
            time.sleep(0.05)
        expired = time.monotonic() - killed
        assert {m["sid"] for m in cluster.presence(room)} == sids - {victim_sid}
        print(
            f"\npresence: SIGKILLed {victim.command}'s member left presence {expired:.2f}s after the kill "
            f"(bound: REALTIME_PRESENCE_TTL={TTL}s)"
        )
        assert expired <= TTL + 0.5
        # and its entry was deleted from Redis, not only hidden
        fields = cluster.redis.hkeys(f"{cluster.prefix}:presence:/:{room}")
        assert not [f for f in fields if f.decode().startswith(victim_process + "|")]
    finally:
        for _, c in clients:
            c.close()
