"""Real socket servers on one Redis, for the live tests: ``Cluster``, clients, and a join helper.

``per_transport`` ``rungevent``/``runsocket`` processes share one Redis and one
channel prefix (and one database, migrated once).
"""

import json
import time

import redis

from realtime import conf

from realtime.testing import LiveServer
from realtime.tests.live.redis_harness import delete_prefix, unique_prefix
from realtime.tests.live.redis_signals import SIGNAL_URL

TEST_APPS = ["realtime.tests.testapp"]
TRANSPORTS = conf.transports()
COMMANDS = {"socketio": "rungevent", "sockjs": "runsocket"}
TTL = 3  # seconds: the presence bound the servers of these tests run with


def client_for(server, transport):
    if transport == "socketio":
        from realtime.testing import SocketIOTestClient

        return SocketIOTestClient(server.url, timeout=10)
    from realtime.testing import SockJSTestClient

    return SockJSTestClient(server.url + "/sockjs", timeout=10)


class Cluster:
    """``per_transport`` socket processes of each transport on one Redis and one prefix."""

    def __init__(self, url, per_transport=2, prefix=None):
        self.url = url
        self.prefix = prefix or unique_prefix()
        self.redis = redis.Redis.from_url(url)
        self.servers = []
        self.env = {
            "REDIS_URL": url,
            "REALTIME_CHANNEL_PREFIX": self.prefix,
            "REALTIME_TEST_SETTINGS": json.dumps(
                {
                    "REALTIME_PRESENCE_TTL": TTL,
                    "CLIENTSIGNAL_CONNECTIONS": {
                        **conf.get("CLIENTSIGNAL_CONNECTIONS"),
                        SIGNAL_URL: "realtime.tests.live.redis_signals.BusSignalConnection",
                    },
                }
            ),
        }
        database = None
        try:
            for transport in TRANSPORTS:
                for _ in range(per_transport):
                    server = LiveServer(COMMANDS[transport], extra_apps=TEST_APPS, env=self.env, database=database)
                    server.transport = transport
                    server.start()
                    database = server.database  # migrated once, shared
                    self.servers.append(server)
            self.wait_subscribed()
        except Exception:
            self.stop()
            raise

    def wait_subscribed(self, timeout=20):
        """Every process has reported over Redis (it does once subscribed)."""
        deadline = time.monotonic() + timeout
        while len(self.processes()) < len([s for s in self.servers if s.process.poll() is None]):
            assert time.monotonic() < deadline, f"not every process subscribed: {self.processes()}"
            time.sleep(0.1)

    def processes(self):
        return {k.decode(): json.loads(v) for k, v in self.redis.hgetall(f"{self.prefix}:processes").items()}

    def shell(self, code):
        """Run ``code`` in a plain Django process (``manage.py shell -c``); its last stdout line."""
        result = self.servers[0].manage("shell", "-c", code)
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    def presence(self, room):
        line = self.shell(f"import json, realtime; print(json.dumps(realtime.presence({room!r})))")
        return json.loads(line)

    def stop(self):
        for server in self.servers:
            server.stop()
        delete_prefix(self.redis, self.prefix)


def join(client, room):
    assert room in client.emit("join", room)
