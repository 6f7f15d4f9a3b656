"""Redis for tests: the production bus as a cross-transport setup, and private redis-servers.

``bus_env()`` is the Redis setup of :mod:`realtime.testing.setups`;
:class:`RedisServer` starts a private ``redis-server`` (no persistence) on a
free port, and :func:`shared_redis_url` finds the shared one. Deleted from
projects made without Redis.
"""

import contextlib
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import redis

from realtime.testing import free_port
from realtime.testing.needs import need

NAME = "redis"
#: An outer REDIS_URL would replace the development setup's local bus.
NOT_IN_DEV = {"REDIS_URL": ""}


@contextlib.contextmanager
def bus_env() -> Iterator[dict[str, str]]:
    """The shared redis-server when one answers, else a private one; a channel prefix of the test's own."""
    url = shared_redis_url()
    own = None
    if not url:
        own = RedisServer().start()
        url = own.url()
    try:
        yield {"REDIS_URL": url, "REALTIME_CHANNEL_PREFIX": f"both-{uuid.uuid4().hex[:8]}"}
    finally:
        if own is not None:
            own.stop()


class RedisServer:
    """A private redis-server (no persistence) on a free port; restartable on the same port."""

    def __init__(self, password: str | None = None, tls: bool = False) -> None:
        # Skips the test without one (fails it in CI).
        self.binary = need("redis-server", "apt-get install redis-server (tests start their own, on a free port)")
        self.port = free_port()
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="realtime-redis-")
        self.process: subprocess.Popen[bytes] | None = None
        self.tls = tls
        if tls:  # a self-signed certificate for 127.0.0.1, trusted by our URL's ssl_ca_certs
            self.cert = os.path.join(self.dir, "cert.pem")
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    os.path.join(self.dir, "key.pem"),
                    "-out",
                    self.cert,
                ],
                check=True,
                capture_output=True,
            )

    def url(self, db: int = 0, password: str | None = None) -> str:
        password = self.password if password is None else password
        auth = f":{password}@" if password else ""
        if self.tls:
            return f"rediss://{auth}127.0.0.1:{self.port}/{db}?ssl_ca_certs={self.cert}"
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def start(self) -> "RedisServer":
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
        ]
        if self.password:
            args += ["--requirepass", self.password]
        if self.tls:
            args[1:3] = [
                "--port",
                "0",
                "--tls-port",
                str(self.port),
                "--tls-cert-file",
                self.cert,
                "--tls-key-file",
                os.path.join(self.dir, "key.pem"),
                "--tls-ca-cert-file",
                self.cert,
                "--tls-auth-clients",
                "no",
            ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = self.client()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db=db))


def shared_redis_url() -> str | None:
    """The shared server's URL, or None when nothing answers there."""
    url = os.environ.get("REALTIME_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except redis.RedisError:
        return None
