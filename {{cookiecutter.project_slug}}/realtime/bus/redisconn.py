"""Redis connections for the bus: URLs (plain, TLS, unix, Sentinel), and the command link.

``REDIS_URL`` forms (Django Client Signals' ``CLIENTSIGNAL_BACKEND`` is an alias):

* ``redis://[user:password@]host:6379/0``, ``rediss://`` for TLS,
  ``unix:///path/redis.sock?db=0``;
* ``redis+sentinel://[user:password@]host:26379[,host:26380...]/<master>[/<db>]``:
  Redis Sentinel. The sentinels are asked for the current master on every
  (re)connect, so after a failover the bus reconnects to the new master by
  itself; the password is the master's (``?sentinel_password=`` if the
  sentinels need one).

The :class:`Link` is a process's one command connection, and the single place
that says "Redis is unreachable" (one WARNING) and "Redis is back" (one INFO).
"""

import logging
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger("realtime.bus")

#: Redis unreachable, or refusing us (auth, ACL, READONLY replica, OOM): either
#: way cross-process delivery pauses, with one log line, and is retried.
DOWN = (redis.RedisError, OSError)

SCHEMES = ("redis", "rediss", "unix", "redis+sentinel")
SENTINEL = "redis+sentinel"
EXAMPLE = "e.g. redis://:password@127.0.0.1:6379/0 or redis+sentinel://:password@host:26379,host:26380/mymaster/0"
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 5.0
#: Seconds any command (and the subscriber's handshake) may take before the link counts as down.
COMMAND_TIMEOUT = 3


def url_setting():
    """``(setting name, url)``: ``REDIS_URL``, else Django Client Signals' ``CLIENTSIGNAL_BACKEND``."""
    for name in ("REDIS_URL", "CLIENTSIGNAL_BACKEND"):
        value = getattr(settings, name, None)
        if value:
            return name, value
    return "REDIS_URL", None


def redact(url):
    """The URL without its password, for log lines and errors."""
    parts = urlsplit(url)
    try:
        password = parts.password
    except ValueError:
        password = None
    if password is None:
        return url
    netloc = parts.netloc.replace(":" + password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _sentinel_parts(name, url):
    """``(hosts, master, db, username, password, query)`` of a redis+sentinel:// URL."""
    shown = redact(url)
    parts = urlsplit(url)
    auth, _, hostlist = parts.netloc.rpartition("@")
    username, _, password = auth.partition(":")
    hosts = []
    for item in filter(None, hostlist.split(",")):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(
                f"{name} {shown!r}: each sentinel must be host:port, e.g. 10.0.0.1:26379 (got {item!r})."
            )
        hosts.append((host, int(port)))
    if not hosts:
        raise ImproperlyConfigured(f"{name} {shown!r} names no sentinel ({EXAMPLE}).")
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ImproperlyConfigured(f"{name} {shown!r}: name the master after the sentinels: .../mymaster/0.")
    db = path[1] if len(path) > 1 else "0"
    if not db.isdigit():
        raise ImproperlyConfigured(f"{name} {shown!r}: the database must be a number such as /0 (got {db!r}).")
    return hosts, unquote(path[0]), int(db), unquote(username) or None, unquote(password) or None, parse_qs(parts.query)


def validate_url(name, url):
    """Raise ImproperlyConfigured naming ``name`` unless ``url`` is a usable Redis URL."""
    if not isinstance(url, str) or not url:
        raise ImproperlyConfigured(f"{name} must be a Redis URL ({EXAMPLE}) when the Redis bus is used.")
    parts = urlsplit(url)
    shown = redact(url)
    if parts.scheme not in SCHEMES:
        raise ImproperlyConfigured(f"{name} {shown!r}: the scheme must be one of {', '.join(SCHEMES)} ({EXAMPLE}).")
    if parts.scheme == SENTINEL:
        _sentinel_parts(name, url)
        return
    query = parse_qs(parts.query)
    if parts.scheme == "unix":
        if not parts.path:
            raise ImproperlyConfigured(
                f"{name} {shown!r}: a unix URL needs a socket path (unix:///run/redis.sock?db=0)."
            )
        db = query.get("db", ["0"])[0]
    else:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name} {shown!r} has no host ({EXAMPLE}).")
        try:
            parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} {shown!r}: the port must be a number from 1 to 65535.") from None
        db = parts.path.strip("/") or query.get("db", ["0"])[0]
    if not db.isdigit():
        raise ImproperlyConfigured(f"{name} {shown!r}: the database must be a number such as /0 (got {db!r}).")


def connection_options(name, timeout=COMMAND_TIMEOUT):
    """Options for every connection: fail fast, we retry ourselves (with backoff).

    ``name`` shows in ``CLIENT LIST``, so an operator sees which process holds it.
    """
    return {
        "socket_connect_timeout": 3,
        "socket_timeout": timeout,
        "socket_keepalive": True,
        "retry": Retry(NoBackoff(), 1),  # one quick retry (a stale pooled socket), no sleeping
        "client_name": name,
    }


def connect(url, pool_size=None, **options):
    """A ``redis.Redis`` for ``url``; through the sentinels for a redis+sentinel:// URL.

    ``pool_size=1`` makes the command connection a blocking pool of one
    (callers queue for it); redis-py re-creates it after a fork.
    """
    if urlsplit(url).scheme == SENTINEL:
        from redis.sentinel import Sentinel

        hosts, master, db, username, password, query = _sentinel_parts("REDIS_URL", url)
        sentinel_kwargs = {"socket_connect_timeout": 3, "socket_timeout": COMMAND_TIMEOUT}
        if query.get("sentinel_password"):
            sentinel_kwargs["password"] = query["sentinel_password"][0]
        sentinel = Sentinel(hosts, sentinel_kwargs=sentinel_kwargs)
        return sentinel.master_for(master, db=db, username=username, password=password, **options)
    if pool_size:
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=pool_size, timeout=10, **options)
        return redis.Redis(connection_pool=pool)
    return redis.Redis.from_url(url, **options)


class Backoff:
    def __init__(self):
        self.delay = BACKOFF_FIRST

    def next(self):
        delay, self.delay = self.delay, min(self.delay * 2, BACKOFF_MAX)
        return delay

    def reset(self):
        self.delay = BACKOFF_FIRST


class Link:
    """The process's one command connection, and whether Redis is up as far as we know."""

    def __init__(self, setting, url, name):
        self.setting, self.url, self.name = setting, url, name
        self.up = True
        self.lost = 0  # envelopes that could not be published (the bus counts them here)
        self._client = None
        self._lock = threading.RLock()  # one command at a time: one connection, even through Sentinel
        self._retry_at = 0.0  # while down: when the command path may try again
        self._backoff = Backoff()

    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = connect(self.url, pool_size=1, **connection_options(self.name))
        return self._client

    def command(self, func, what):
        """Run ``func(client)``; on a Redis outage log once, back off, return None."""
        if not self.up and time.monotonic() < self._retry_at:
            return None
        try:
            with self._lock:
                result = func(self.client)
        except DOWN as exc:
            self.went_down(exc, what)
            return None
        if not self.up:
            self.came_back("command connection")
        return result

    def went_down(self, exc, what):
        self._retry_at = time.monotonic() + self._backoff.next()
        if self.up:
            self.up = False
            if isinstance(exc, redis.AuthenticationError):
                what += f"; check the user and password in {self.setting}"
            elif type(exc).__name__ == "MasterNotFoundError":  # redis.sentinel's
                what += f"; check the master name and that the sentinels in {self.setting} run"
            logger.warning(
                "Redis bus unreachable at %s (%s: %s during %s): local delivery continues, "
                "cross-process delivery is paused; retrying with backoff",
                redact(self.url),
                type(exc).__name__,
                exc,
                what,
            )

    def came_back(self, how):
        was_down = not self.up
        self.up = True
        self._backoff.reset()
        if was_down:
            logger.info(
                "Redis bus back at %s (%s): cross-process delivery resumed; %d envelopes were lost meanwhile",
                redact(self.url),
                how,
                self.lost,
            )

    def close(self):
        if self._client is not None:
            try:
                self._client.close()
                self._client.connection_pool.disconnect()
            except Exception:
                pass
