"""A Redis Sentinel setup for failover tests: one master, one replica, three sentinels.

All on free loopback ports, from the ``redis-server`` and ``redis-sentinel``
binaries (a missing one skips the test with the reason, or fails it in CI).
Sentinels notice a dead master after ``DOWN_AFTER_MS`` and promote the replica.
Deleted from projects made without Redis.
"""

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from realtime.testing import free_port
from realtime.testing.needs import need
from realtime.testing.redis_setup import RedisServer

MASTER = "rtmaster"
DOWN_AFTER_MS = 1000


class SentinelCluster:
    def __init__(self) -> None:
        self.sentinel_binary = need("redis-sentinel", "apt-get install redis-sentinel (or redis-server, which has it)")
        self.master = RedisServer()
        self.replica = RedisServer()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.dir = Path(tempfile.mkdtemp(prefix="realtime-sentinel-"))
        self.sentinels: list[subprocess.Popen[bytes]] = []

    def url(self, db: int = 0) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{MASTER}/{db}"

    def start(self) -> "SentinelCluster":
        self.master.start()
        self.replica.start()
        self.replica.client().execute_command("REPLICAOF", "127.0.0.1", self.master.port)
        for port in self.sentinel_ports:
            conf = self.dir / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER} 10000\n"
                f"sentinel parallel-syncs {MASTER} 1\n"
            )
            self.sentinels.append(
                subprocess.Popen(
                    [self.sentinel_binary, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        self._wait(self._ready, "the sentinels did not see the master, the replica and each other")
        return self

    def sentinel(self, i: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.sentinel_ports[i], socket_timeout=2)

    def _ready(self) -> bool:
        for i in range(len(self.sentinel_ports)):
            s = self.sentinel(i)
            replicas = s.execute_command("SENTINEL", "REPLICAS", MASTER)
            others = s.execute_command("SENTINEL", "SENTINELS", MASTER)
            if not replicas or len(others) < len(self.sentinel_ports) - 1:
                return False
        return self.replica.client().info("replication").get("master_link_status") == "up"

    def master_port(self) -> int:
        """The port the sentinels now say is the master's."""
        host, port = self.sentinel().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
        return int(port)

    def kill_master(self) -> None:
        """SIGKILL the master: no goodbye to its clients' or sentinels' questions."""
        assert self.master.process is not None, "start() the cluster first"
        self.master.process.send_signal(signal.SIGKILL)
        self.master.process.wait(10)

    def wait_failover(self, timeout: float = 30) -> float:
        """Wait until the sentinels name the replica as master; returns the seconds it took."""
        started = time.monotonic()
        self._wait(lambda: self.master_port() == self.replica.port, "no failover to the replica", timeout)
        return time.monotonic() - started

    @staticmethod
    def _wait(predicate: Callable[[], object], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except (redis.RedisError, OSError):
                pass
            time.sleep(0.1)
        raise AssertionError(what)

    def stop(self) -> None:
        for process in self.sentinels:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        self.master.stop()
        self.replica.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
