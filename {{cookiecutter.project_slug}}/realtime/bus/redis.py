"""The Redis bus: one bus across processes, hosts and transports.

Turn it on with ``REDIS_URL = "redis://[user:password@]host:6379/0"`` (or
``rediss://`` for TLS, ``unix:///path/redis.sock?db=0``; the seed's
``CLIENTSIGNAL_BACKEND`` is an alias) and
``REALTIME_BUS_BACKEND = "realtime.bus.redis.RedisBus"``.

Connections: a process holds at most TWO, however many clients it serves
(the seed opened one per browser):

* one command connection (``PUBLISH``, presence, heartbeat, stats), shared by
  every thread/greenlet of the process; any Django process (gunicorn, the
  shell, a worker) publishes through it with no event loop running;
* one subscriber, only in socket processes, started by ``rungevent``
  (sync redis-py in a greenlet) or ``runsocket`` (``redis.asyncio`` on the
  tornado loop) through :meth:`RedisBus.start`.

An envelope is JSON-encoded once and published once; each process decodes it
once and writes it to its own sockets (:func:`realtime.delivery.deliver`).
In a gevent socket process the PUBLISH leaves the emitting greenlet: a
publisher sends what queued up in one pipeline, in order
(:mod:`realtime.bus.publisher`); a client's event is acknowledged only once
what its receivers published has been sent.

Keys, all under the channel prefix ``P`` (``REALTIME_CHANNEL_PREFIX``), so
several projects can share one Redis:

================================  ===========================================
``P:bus``                         the pub/sub channel every envelope travels on
``P:alive:<process>``             heartbeat; expires after REALTIME_PRESENCE_TTL
``P:presence:<endpoint>:<room>``  hash ``<process>|<sid>`` -> member JSON
``P:rooms:<process>``             presence hashes this process wrote (reaping)
``P:processes``                   hash ``<process>`` -> its latest stats
================================  ===========================================

Presence bound: a process refreshes its heartbeat every TTL/3 seconds; once
it dies (even by SIGKILL) its heartbeat expires within TTL seconds and
``presence()`` stops listing its members at once (and deletes them).

An ACL user needs: PUBLISH SUBSCRIBE SET EXISTS DEL HSET HDEL HGETALL HKEYS
HSCAN SADD SMEMBERS CLIENT|SETNAME PING on keys and channels ``P:*``.
Sentinel and Redis Cluster URLs are not supported.

Redis going away: local delivery goes on (the bus always delivers to this
process's sockets first); one WARNING line says cross-process delivery is
paused; the subscriber reconnects with backoff (0.5 s doubling to 5 s); when
Redis is back one INFO line says so and this process re-registers its
presence. Pub/sub is at-most-once: envelopes published while Redis was
unreachable are NOT delivered to other processes later (they are counted in
the stats as ``lost``). Recover from your own store if it matters (the chat
example reloads its history on reconnect).
"""

import json
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from realtime import conf, stats
from realtime.bus.base import Bus
from realtime.bus.publisher import Publisher
from realtime.envelope import Envelope
from realtime.exceptions import BadEnvelope
from realtime.presence import describe
from realtime.registry import connected_sockets

logger = logging.getLogger("realtime.bus")

#: Redis unreachable, or refusing us (auth, ACL, READONLY replica, OOM): either
#: way cross-process delivery pauses, with one log line, and is retried.
DOWN = (redis.RedisError, OSError)

SCHEMES = ("redis", "rediss", "unix")
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 5.0


def url_setting():
    """``(setting name, url)``: ``REDIS_URL``, else the seed's ``CLIENTSIGNAL_BACKEND``."""
    for name in ("REDIS_URL", "CLIENTSIGNAL_BACKEND"):
        value = getattr(settings, name, None)
        if value:
            return name, value
    return "REDIS_URL", None


def redact(url):
    """The URL without its password, for log lines and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def validate_url(name, url):
    """Raise ImproperlyConfigured naming ``name`` unless ``url`` is a usable Redis URL."""
    example = "e.g. redis://:password@127.0.0.1:6379/0"
    if not isinstance(url, str) or not url:
        raise ImproperlyConfigured(f"{name} must be a Redis URL ({example}) when the Redis bus is used.")
    parts = urlsplit(url)
    shown = redact(url)
    if parts.scheme not in SCHEMES:
        raise ImproperlyConfigured(f"{name} {shown!r}: the scheme must be one of {', '.join(SCHEMES)} ({example}).")
    query = parse_qs(parts.query)
    if parts.scheme == "unix":
        if not parts.path:
            raise ImproperlyConfigured(
                f"{name} {shown!r}: a unix URL needs a socket path (unix:///run/redis.sock?db=0)."
            )
        db = query.get("db", ["0"])[0]
    else:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name} {shown!r} has no host ({example}).")
        try:
            parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name} {shown!r}: the port must be a number from 1 to 65535.") from None
        db = parts.path.strip("/") or query.get("db", ["0"])[0]
    if not db.isdigit():
        raise ImproperlyConfigured(f"{name} {shown!r}: the database must be a number such as /0 (got {db!r}).")


def _connection_options(name):
    """Options for every connection: fail fast, we retry ourselves (with backoff).

    ``name`` shows in ``CLIENT LIST``, so an operator sees which process holds it.
    """
    return {
        "socket_connect_timeout": 3,
        "socket_keepalive": True,
        "retry": Retry(NoBackoff(), 1),  # one quick retry (a stale pooled socket), no sleeping
        "client_name": name,
    }


class _Backoff:
    def __init__(self):
        self.delay = BACKOFF_FIRST

    def next(self):
        delay, self.delay = self.delay, min(self.delay * 2, BACKOFF_MAX)
        return delay

    def reset(self):
        self.delay = BACKOFF_FIRST


class RedisBus(Bus):
    """Publish to every process through Redis pub/sub; presence and stats in Redis."""

    networked = True

    @classmethod
    def check_settings(cls):
        """Called by ``realtime.conf.check_all()`` at server start."""
        name, url = url_setting()
        validate_url(name, url)

    def __init__(self):
        super().__init__()
        self.check_settings()
        self.setting, self.url = url_setting()
        self.prefix = conf.channel_prefix()
        self.channel = f"{self.prefix}:bus"
        self.ttl = conf.presence_ttl()
        self.beat_interval = max(self.ttl / 3.0, 0.5)
        self.lost = 0  # envelopes that could not be published (Redis unreachable)
        self.runtime = None
        self._client = None
        self._client_lock = threading.Lock()
        self._up = True  # as far as we know
        self._retry_at = 0.0  # while down: when the command path may try again
        self._backoff = _Backoff()
        self._stopping = threading.Event()
        self._thread = None
        self._task = None
        self._last_reap = 0.0
        self._publisher = None  # socket processes publish through one (see start)
        #: Set while the subscriber is subscribed (tests and health checks wait on it).
        self.subscribed = threading.Event()

    # -- keys --------------------------------------------------------------------
    def _alive_key(self, process_id=None):
        return f"{self.prefix}:alive:{process_id or self.process_id}"

    def _rooms_key(self, process_id=None):
        return f"{self.prefix}:rooms:{process_id or self.process_id}"

    def _presence_key(self, endpoint, room):
        return f"{self.prefix}:presence:{endpoint}:{room}"

    @property
    def _processes_key(self):
        return f"{self.prefix}:processes"

    def _name(self, role):
        """Client name shown by CLIENT LIST: ``<prefix>:<process>:cmd|sub``."""
        return f"{self.prefix}:{self.process_id}:{role}"

    def _subscriber_options(self):
        """The subscriber waits without a read timeout; TCP keepalive (30 s idle,
        3 probes 5 s apart) notices a silently dead link within about 45 s."""
        return {"socket_timeout": None, **_connection_options(self._name("sub"))}

    def _field(self, socket):
        return f"{self.process_id}|{socket.sid}"

    # -- the command connection -----------------------------------------------------
    @property
    def client(self):
        """The process's one command connection (thread- and greenlet-safe).

        A ``BlockingConnectionPool`` of size one: concurrent callers queue for
        the connection instead of opening more. redis-py re-creates it after a
        fork (gunicorn --preload), so a forked worker never shares a socket.
        """
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    pool = redis.BlockingConnectionPool.from_url(
                        self.url,
                        max_connections=1,
                        timeout=10,
                        socket_timeout=5,
                        **_connection_options(self._name("cmd")),
                    )
                    self._client = redis.Redis(connection_pool=pool)
        return self._client

    def _command(self, func, what):
        """Run ``func(client)``; on a Redis outage log once, back off, return None."""
        if not self._up and time.monotonic() < self._retry_at:
            return None
        try:
            result = func(self.client)
        except DOWN as exc:
            self._went_down(exc, what)
            return None
        if not self._up:
            self._came_back("command connection")
        return result

    def _went_down(self, exc, what):
        self._retry_at = time.monotonic() + self._backoff.next()
        if self._up:
            self._up = False
            if isinstance(exc, redis.AuthenticationError):
                what += f"; check the user and password in {self.setting}"
            logger.warning(
                "Redis bus unreachable at %s (%s: %s during %s): local delivery continues, "
                "cross-process delivery is paused; retrying with backoff",
                redact(self.url),
                type(exc).__name__,
                exc,
                what,
            )

    def _came_back(self, how):
        was_down = not self._up
        self._up = True
        self._backoff.reset()
        if was_down:
            logger.info(
                "Redis bus back at %s (%s): cross-process delivery resumed; %d envelopes were lost meanwhile",
                redact(self.url),
                how,
                self.lost,
            )

    # -- publishing ----------------------------------------------------------------
    def _publish_remote(self, envelope):
        """One JSON encode, one PUBLISH; dropped (and counted) while Redis is down."""
        try:
            data = envelope.to_json()
        except (TypeError, ValueError) as exc:
            # Local delivery already happened (transports encode for their own frames).
            logger.error("envelope %r not published to other processes: not JSON (%s)", envelope, exc)
            stats.counters.dropped += 1
            return
        if self._publisher is not None:
            self._publisher.put(data)  # sent in order by the publisher, off this greenlet
        elif self._command(lambda c: c.publish(self.channel, data), "PUBLISH") is None:
            self.lost += 1

    def _publish_batch(self, batch):
        """The publisher's round trip: every queued payload in one pipeline, in order."""

        def send(c):
            pipe = c.pipeline(transaction=False)
            for data in batch:
                pipe.publish(self.channel, data)
            return pipe.execute()

        if self._command(send, "PUBLISH") is None:
            self.lost += len(batch)

    def wait_sent(self, timeout=10.0):
        """Wait until what this process published so far was handed to Redis."""
        publisher = self._publisher
        return True if publisher is None else publisher.wait(timeout)

    # -- receiving -----------------------------------------------------------------
    def _handle(self, raw):
        """One pub/sub payload: decode once, deliver here (not our own)."""
        try:
            envelope = Envelope.from_json(raw.decode() if isinstance(raw, bytes) else raw)
        except (BadEnvelope, UnicodeDecodeError) as exc:
            stats.counters.dropped += 1
            logger.warning("dropped a bad envelope from channel %s: %s", self.channel, exc)
            return
        try:
            self.receive(envelope)
        except Exception:
            logger.exception("delivering %r failed", envelope)

    def start(self, runtime="gevent", io_loop=None, **options):
        """Subscribe in a socket process (once): ``runtime`` is ``"gevent"`` or ``"tornado"``.

        ``"gevent"`` (and ``"thread"``) run sync redis-py in a thread, which is a
        greenlet once gevent has monkey-patched; ``"tornado"`` runs
        ``redis.asyncio`` on ``io_loop`` (the current loop if not given).
        """
        if self.runtime is not None:
            return
        if runtime == "gevent" and not _gevent_patched():
            logger.warning(
                "Redis bus started for gevent, but gevent has not patched threading and socket: "
                "the subscriber runs in a real thread (patch first, as manage.py rungevent does)"
            )
        self.runtime = runtime
        # Made here, not in __init__: the bus may have been built before gevent
        # patched threading, and the subscriber waits on this one (a native
        # Event would block the gevent hub).
        self._stopping = threading.Event()
        if runtime == "tornado":
            from tornado.ioloop import IOLoop

            loop = io_loop or IOLoop.current()
            self._io_loop = loop
            loop.add_callback(self._spawn_async)
        elif runtime in ("gevent", "thread"):
            self._publisher = Publisher(self._publish_batch)
            self._thread = threading.Thread(target=self._run_sync, name="realtime-bus", daemon=True)
            self._thread.start()
        else:
            raise ValueError(f"runtime must be 'gevent' or 'tornado', not {runtime!r}")

    def _run_sync(self):
        backoff = _Backoff()
        while not self._stopping.is_set():
            conn = None
            try:
                conn = redis.Redis.from_url(self.url, **self._subscriber_options())
                pubsub = conn.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                backoff.reset()
                self._subscribed()
                next_beat = time.monotonic() + self.beat_interval
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=min(1.0, self.beat_interval))
                    if message is not None and message.get("type") == "message":
                        self._handle(message["data"])
                    if time.monotonic() >= next_beat:
                        self._beat()
                        next_beat = time.monotonic() + self.beat_interval
            except DOWN as exc:
                self.subscribed.clear()
                if self._stopping.is_set():
                    break
                self._went_down(exc, "SUBSCRIBE")
                self._stopping.wait(backoff.next())
            except Exception:
                logger.exception("bus subscriber failed; restarting it")
                self._stopping.wait(backoff.next())
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:
                        pass

    def _spawn_async(self):
        import asyncio

        self._task = asyncio.ensure_future(self._run_async())

    async def _run_async(self):
        import asyncio

        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        backoff = _Backoff()
        while not self._stopping.is_set():
            conn = None
            try:
                conn = aioredis.Redis.from_url(self.url, **self._subscriber_options())
                pubsub = conn.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                backoff.reset()
                # Presence and heartbeat use the sync command connection: off the loop.
                await loop.run_in_executor(None, self._subscribed)
                next_beat = time.monotonic() + self.beat_interval
                beating = None
                while not self._stopping.is_set():
                    message = await pubsub.get_message(timeout=min(1.0, self.beat_interval))
                    if message is not None and message.get("type") == "message":
                        self._handle(message["data"])
                    if time.monotonic() >= next_beat and (beating is None or beating.done()):
                        beating = loop.run_in_executor(None, self._beat)
                        next_beat = time.monotonic() + self.beat_interval
            except asyncio.CancelledError:
                break
            except DOWN as exc:
                self.subscribed.clear()
                if self._stopping.is_set():
                    break
                self._went_down(exc, "SUBSCRIBE")
                await asyncio.sleep(backoff.next())
            except Exception:
                logger.exception("bus subscriber failed; restarting it")
                await asyncio.sleep(backoff.next())
            finally:
                if conn is not None:
                    try:
                        await conn.aclose()
                    except Exception:
                        pass

    def _subscribed(self):
        """(Re)subscribed: Redis is reachable; write our heartbeat and presence again."""
        self._came_back("subscriber")
        self._beat()
        self._resync_presence()
        self.subscribed.set()

    # -- heartbeat, stats and reaping --------------------------------------------------
    def _beat(self):
        """Refresh the heartbeat, publish our stats, reap dead processes now and then."""
        snapshot = json.dumps(self.local_stats())
        ttl_ms = int(self.ttl * 1000)

        def beat(c):
            pipe = c.pipeline(transaction=False)
            pipe.set(self._alive_key(), "1", px=ttl_ms)
            pipe.hset(self._processes_key, self.process_id, snapshot)
            return pipe.execute()

        self._command(beat, "heartbeat")
        now = time.monotonic()
        if now - self._last_reap >= self.ttl:
            self._last_reap = now
            self._command(self._reap, "reaping")

    def _reap(self, c):
        """Forget processes whose heartbeat expired: their stats and presence entries."""
        processes = [p.decode() for p in c.hkeys(self._processes_key)]
        if not processes:
            return 0
        pipe = c.pipeline(transaction=False)
        for p in processes:
            pipe.exists(self._alive_key(p))
        dead = [p for p, alive in zip(processes, pipe.execute()) if not alive]
        for p in dead:
            self._forget_process(c, p)
        if dead:
            logger.info("presence: forgot %d dead process(es): %s", len(dead), ", ".join(dead))
        return len(dead)

    def _forget_process(self, c, process_id):
        for key in c.smembers(self._rooms_key(process_id)):
            fields = [f for f, _ in c.hscan_iter(key, match=_glob_escape(process_id) + "|*")]
            if fields:
                c.hdel(key, *fields)
        c.delete(self._rooms_key(process_id), self._alive_key(process_id))
        c.hdel(self._processes_key, process_id)

    def local_stats(self):
        snapshot = stats.snapshot(self.process_id)
        snapshot["bus"] = {"backend": "networked", "up": self._up, "lost": self.lost, "subscribed": self.runtime}
        return snapshot

    def stats(self):
        """Every live process's latest stats (this one fresh), oldest first."""
        mine = self.local_stats()

        def read(c):
            return c.hgetall(self._processes_key)

        rows = self._command(read, "stats") or {}
        result = {}
        for process, raw in rows.items():
            try:
                row = json.loads(raw)
            except ValueError:
                continue
            if isinstance(row, dict) and time.time() - row.get("time", 0) <= self.ttl:
                result[process.decode()] = row
        if self.runtime is not None or mine["connections_total"]:
            result[self.process_id] = mine  # a plain web process with no sockets is not a row
        return sorted(result.values(), key=lambda r: r.get("started", 0))

    # -- presence ------------------------------------------------------------------
    def joined(self, socket, room):
        key = self._presence_key(socket.endpoint, room)
        member = json.dumps(describe(socket, self.process_id))

        def add(c):
            pipe = c.pipeline(transaction=False)
            pipe.hset(key, self._field(socket), member)
            pipe.sadd(self._rooms_key(), key)
            return pipe.execute()

        self._command(add, "presence join")

    def left(self, socket, room):
        key = self._presence_key(socket.endpoint, room)
        self._command(lambda c: c.hdel(key, self._field(socket)), "presence leave")

    def update_member(self, socket):
        """Rewrite ``socket``'s presence entries (e.g. after it set a nickname)."""
        for room in socket.rooms:
            self.joined(socket, room)

    def _resync_presence(self):
        """After (re)connecting: Redis may have restarted empty; write our members again."""
        entries = {}
        for socket in connected_sockets:
            for room in socket.rooms:
                entries.setdefault(self._presence_key(socket.endpoint, room), {})[self._field(socket)] = json.dumps(
                    describe(socket, self.process_id)
                )
        if not entries:
            return

        def write(c):
            pipe = c.pipeline(transaction=False)
            for key, fields in entries.items():
                pipe.hset(key, mapping=fields)
                pipe.sadd(self._rooms_key(), key)
            return pipe.execute()

        self._command(write, "presence resync")

    def presence(self, room, endpoint="/"):
        """Members of ``room`` in every live process (this one's straight from memory).

        Members of a process whose heartbeat expired are left out and deleted.
        While Redis is unreachable, only this process's members are listed.
        """
        local = super().presence(room, endpoint)
        key = self._presence_key(endpoint, room)
        raw = self._command(lambda c: c.hgetall(key), "presence")
        if not raw:
            return local
        by_process = {}
        for field, value in raw.items():
            process, _, _sid = field.decode().partition("|")
            if process != self.process_id:
                by_process.setdefault(process, []).append((field, value))
        if not by_process:
            return local
        processes = list(by_process)

        def alive(c):
            pipe = c.pipeline(transaction=False)
            for p in processes:
                pipe.exists(self._alive_key(p))
            return pipe.execute()

        flags = self._command(alive, "presence")
        if flags is None:
            return local
        members, ghosts = list(local), []
        for process, is_alive in zip(processes, flags):
            for field, value in by_process[process]:
                if not is_alive:
                    ghosts.append(field)
                    continue
                try:
                    members.append(json.loads(value))
                except ValueError:
                    ghosts.append(field)
        if ghosts:
            self._command(lambda c: c.hdel(key, *ghosts), "presence cleanup")
        return members

    # -- shutdown --------------------------------------------------------------------
    def close(self):
        """Stop the subscriber and take this process out of presence and stats now."""
        if self._publisher is not None:
            publisher, self._publisher = self._publisher, None
            publisher.close()  # what was queued is published first
        self._stopping.set()
        self.subscribed.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(3)
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._client is not None:
            self._command(lambda c: self._forget_process(c, self.process_id), "shutdown")
            try:
                self._client.close()
                self._client.connection_pool.disconnect()
            except Exception:
                pass
        self.runtime = None
        self._thread = self._task = None


def _gevent_patched():
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading") and monkey.is_module_patched("socket")


def _glob_escape(text):
    """Escape Redis MATCH glob characters."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)
