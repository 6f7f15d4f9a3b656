"""Redis fails over under chat traffic: every process follows the new master, nothing acked is lost.

One master, one replica and three sentinels on loopback ports
(:class:`realtime.testing.redis_sentinel.SentinelCluster`); two socket
processes on ``REDIS_URL=redis+sentinel://...``; on each, a client sends chat
messages (acknowledged once stored) and another listens. The master is
SIGKILLed mid-traffic. Measured: the cross-process delivery gap. Checked: both
processes resubscribe to the new master, and every acknowledged message
reaches every listener, live or, for what the bus dropped during the failover
(pub/sub is at-most-once), through the chat's history on rejoin.
"""

import json
import threading
import time
import uuid

from chat.tests.browser import TRANSPORTS, create_rooms, serve
from realtime.testing.redis_sentinel import SentinelCluster

ROOM = "failover"
INTERVAL = 0.1  # seconds between two messages of one sender


class Sender(threading.Thread):
    def __init__(self, client):
        super().__init__(daemon=True)
        self.client, self.acked, self.stop = client, [], threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            ack = self.client.emit("chat:message", {"room": ROOM, "text": f"m{n}"}, timeout=20)
            assert ack.get("ok"), ack
            self.acked.append(ack["id"])
            n += 1
            time.sleep(INTERVAL)


class Listener(threading.Thread):
    def __init__(self, client):
        super().__init__(daemon=True)
        self.client, self.got, self.stop = client, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                message = self.client.receive("chat:message", timeout=0.5)
            except Exception:
                continue
            self.got.append((time.monotonic(), message["id"], message["nickname"]))


def join(client, nickname, after=None, have=None):
    answer = client.emit("chat:join", {"room": ROOM, "nickname": nickname, "after": after, "have": have})
    assert answer.get("ok"), answer
    return answer


def gap_around(got, sender, killed):
    """Seconds without a message from ``sender`` around ``killed`` (the cross-process silence)."""
    times = [t for t, _, nick in got if nick == sender]
    before = max((t for t in times if t <= killed), default=killed)
    after = min((t for t in times if t > killed), default=None)
    assert after is not None, f"nothing from {sender} after the failover"
    return after - before


def test_sentinel_failover_under_chat_traffic():
    transport = TRANSPORTS[0]
    cluster = SentinelCluster().start()
    prefix = f"failover-{uuid.uuid4().hex[:8]}"
    env = {
        "REDIS_URL": cluster.url(),
        "REALTIME_CHANNEL_PREFIX": prefix,
        "REALTIME_TEST_SETTINGS": json.dumps({"CHAT_RATE_LIMIT": [1000, 1], "REALTIME_PRESENCE_TTL": 3}),
    }
    threads = []
    try:
        with serve(transport, env=env) as one, serve(transport, env=env, database=one.database) as two:
            create_rooms(one, ROOM)
            clients = {
                name: server.client(timeout=20)
                for name, server in (("send1", one), ("listen1", one), ("send2", two), ("listen2", two))
            }
            for name, client in clients.items():
                join(client, name)
            senders = {name: Sender(clients[name]) for name in ("send1", "send2")}
            listeners = {name: Listener(clients[name]) for name in ("listen1", "listen2")}
            threads = [*senders.values(), *listeners.values()]
            for thread in threads:
                thread.start()
            time.sleep(3)
            old_master = cluster.master.port
            cluster.kill_master()
            killed = time.monotonic()
            failover = cluster.wait_failover()
            # until each listener hears the OTHER process's sender again, then a little more
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any(t > killed for t, _, n in listeners["listen1"].got if n == "send2") and any(
                    t > killed for t, _, n in listeners["listen2"].got if n == "send1"
                ):
                    break
                time.sleep(0.2)
            time.sleep(2)
            for thread in threads:
                thread.stop.set()
            for thread in threads:
                thread.join(30)

            gaps = {
                "process 2 -> 1": gap_around(listeners["listen1"].got, "send2", killed),
                "process 1 -> 2": gap_around(listeners["listen2"].got, "send1", killed),
            }
            acked = set(senders["send1"].acked) | set(senders["send2"].acked)
            recovered = {}
            for name, listener in listeners.items():
                live = {i for _, i, _ in listener.got}
                answer = join(clients[name], name, after=max(live), have=sorted(live))  # what a reconnect does
                replayed = {m["id"] for m in answer["messages"]}
                missing = acked - live - replayed
                assert not missing, f"{name} lost acknowledged messages {sorted(missing)[:10]}"
                recovered[name] = len(acked - live)

            # both processes resubscribed, to the new master
            assert cluster.master_port() == cluster.replica.port != old_master
            subs = [c["name"] for c in cluster.replica.client().client_list() if c.get("name", "").endswith(":sub")]
            assert len([n for n in subs if n.startswith(prefix + ":")]) == 2, subs
            for server in (one, two):
                log = server.log()
                assert log.count("Redis bus unreachable") >= 1 and "Redis bus back" in log, log[-2000:]
            print(
                f"\nSentinel failover: sentinels promoted the replica {failover:.1f}s after the master was "
                f"killed; cross-process delivery gap {max(gaps.values()):.1f}s "
                f"({', '.join(f'{k} {v:.1f}s' for k, v in gaps.items())}); {len(acked)} acknowledged messages, "
                f"none lost ({', '.join(f'{k} recovered {v} from history' for k, v in recovered.items())})"
            )
            assert max(gaps.values()) < 30
            for client in clients.values():
                (getattr(client, "disconnect", None) or client.close)()
    finally:
        for thread in threads:
            thread.stop.set()
        cluster.stop()
