"""The Redis bus: one bus across processes, hosts and transports.

Turn it on with ``REDIS_URL`` (forms in :mod:`realtime.bus.redisconn`:
``redis://``, ``rediss://``, ``unix://``, ``redis+sentinel://`` for Redis
Sentinel) and ``REALTIME_BUS_BACKEND = "realtime.bus.redis.RedisBus"``.

Connections: a process holds at most TWO, however many clients it serves:

* one command connection (``PUBLISH``, presence, heartbeat, stats), shared by
  every thread/greenlet of the process; any Django process (gunicorn, the
  shell, a worker) publishes through it with no event loop running;
* one subscriber, only in socket processes, started by ``rungevent`` or
  ``runsocket`` through :meth:`RedisBus.start`: ONE blocking listen loop,
  placed by the server's runtime (:mod:`realtime.bus.runtime`), next to a
  small heartbeat loop (presence and stats every TTL/3 seconds).

An envelope is JSON-encoded once and published once; each process decodes it
once and writes it to its own sockets. In a socket process the PUBLISH leaves
the emitting greenlet: a publisher sends what queued up in one pipeline, in
order (:mod:`realtime.bus.publisher`); a client's event is acknowledged only
once what its receivers published has been sent.

Channel: ``P:bus`` (``P`` = ``REALTIME_CHANNEL_PREFIX``); presence and stats
keys are in :mod:`realtime.bus.redisparts`. An ACL user needs: PUBLISH
SUBSCRIBE SET EXISTS DEL HSET HDEL HGETALL HKEYS HSCAN SADD SMEMBERS
CLIENT|SETNAME PING on keys and channels ``P:*``.

A silently dead link (a host gone, a frozen server, a dropped NAT entry) is
noticed by health checks: the subscriber PINGs after ``PING_EVERY`` quiet
seconds and reconnects when nothing at all came back for ``DEAD_AFTER``.

Redis going away (or failing over): local delivery goes on; one WARNING line
says cross-process delivery is paused; the subscriber reconnects with backoff
(0.5 s doubling to 5 s; through Sentinel, to whichever server is master now);
when Redis is back one INFO line says so and this process re-registers its
presence. Pub/sub is at-most-once: envelopes published meanwhile are NOT
delivered to other processes later (counted as ``lost``). Recover from your
own store if it matters (the chat reloads its history on reconnect).
"""

import logging
import threading
import time

from realtime import conf, delivery, stats
from realtime.bus.base import Bus
from realtime.bus.publisher import Publisher
from realtime.bus.redisconn import DOWN, Backoff, Link, connect, connection_options, redact, url_setting, validate_url
from realtime.bus.redisparts import Keys, RedisPresence, RedisStats
from realtime.exceptions import BusUnavailable

logger = logging.getLogger("realtime.bus")

__all__ = ["RedisBus", "redact", "validate_url", "url_setting"]

#: Seconds of silence on the subscriber before it PINGs.
PING_EVERY = 1.5
#: Seconds with no reply at all after which the subscriber counts the link dead and reconnects.
DEAD_AFTER = 5.0
#: Envelopes handed to the runtime per call (tornado: one loop callback per batch).
BATCH = 256


class DeadLink(ConnectionError):
    """The subscriber heard nothing, not even a PONG, for DEAD_AFTER seconds."""


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
        self.link = Link(self.setting, self.url, self._name("cmd"))
        self.keys = Keys(self.prefix, self.process_id)
        self.members = RedisPresence(self.process_id, self.link, self.keys, self.ttl)
        self.figures = RedisStats(self.process_id, self, self.link, self.keys, self.ttl)
        self._publisher = None  # socket processes publish through one (see _start)
        self._task = None
        #: Set while the subscriber is subscribed (tests and health checks wait on it).
        self.subscribed = threading.Event()

    def _name(self, role):
        """Client name shown by CLIENT LIST: ``<prefix>:<process>:cmd|sub``."""
        return f"{self.prefix}:{self.process_id}:{role}"

    @property
    def lost(self):
        return self.link.lost

    @property
    def up(self):
        return self.link.up

    def state(self):
        return {**super().state(), "up": self.link.up, "lost": self.link.lost}

    # -- publishing ----------------------------------------------------------------
    def _publish(self, envelope):
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
        elif self.link.command(lambda c: c.publish(self.channel, data), "PUBLISH") is None:
            self.link.lost += 1
            if self.runtime is None and not delivery.adapters():
                raise BusUnavailable(
                    f"realtime.emit: the Redis bus at {redact(self.url)} is unreachable, so this "
                    f"{envelope.kind} reached no client (this process serves none). Start Redis or fix "
                    f"{self.setting}; store what must not be lost and let clients reload it (as the chat does)."
                )

    def _publish_batch(self, batch):
        """The publisher's round trip: every queued payload in one pipeline, in order."""

        def send(c):
            pipe = c.pipeline(transaction=False)
            for data in batch:
                pipe.publish(self.channel, data)
            return pipe.execute()

        if self.link.command(send, "PUBLISH") is None:
            self.link.lost += len(batch)

    def wait_sent(self, timeout=10.0):
        """Wait until what this process published so far was handed to Redis."""
        publisher = self._publisher
        return True if publisher is None else publisher.wait(timeout)

    # -- the listen loop -------------------------------------------------------------
    def _start(self):
        self._publisher = Publisher(self._publish_batch)
        self._task = self.runtime.spawn(self._listen, name="realtime-bus")
        self.runtime.spawn(self._beat_loop, name="realtime-bus-beat")

    def _listen(self):
        """Subscribe, deliver, beat, health-check; on any outage reconnect with backoff."""
        backoff = Backoff()
        while not self._stopping.is_set():
            conn = None
            try:
                conn = connect(self.url, **connection_options(self._name("sub")))
                pubsub = conn.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                backoff.reset()
                self._subscribed()
                self._serve(pubsub)
            except DOWN as exc:
                self.subscribed.clear()
                if self._stopping.is_set():
                    break
                self.link.went_down(exc, "SUBSCRIBE")
                self._stopping.wait(backoff.next())
            except Exception:
                self.subscribed.clear()
                logger.exception("bus subscriber failed; restarting it")
                self._stopping.wait(backoff.next())
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:
                        pass

    def _serve(self, pubsub):
        now = time.monotonic()
        heard = next_ping = now  # anything from Redis (a message, a PONG) counts as heard
        while not self._stopping.is_set():
            message = pubsub.get_message(timeout=0.5)
            now = time.monotonic()
            if message is not None:
                heard = now
                if message.get("type") == "message":
                    batch = [message["data"]]
                    while len(batch) < BATCH:
                        more = pubsub.get_message(timeout=0)
                        if more is None:
                            break
                        if more.get("type") == "message":
                            batch.append(more["data"])
                    self.runtime.call_soon(self._receive_batch, batch)
            elif now - heard >= DEAD_AFTER:
                raise DeadLink(f"no reply to PING for {now - heard:.1f}s (health check)")
            elif now - heard >= PING_EVERY and now >= next_ping:
                pubsub.ping("realtime-health")
                next_ping = now + PING_EVERY

    def _receive_batch(self, batch):
        for data in batch:
            self.receive_data(data)

    def _subscribed(self):
        """(Re)subscribed: Redis is reachable; write our heartbeat, stats and presence again."""
        self.link.came_back("subscriber")
        self._beat()
        self.members.resync()
        self.subscribed.set()

    def _beat(self):
        self.members.beat()
        self.figures.share()

    def _beat_loop(self):
        """Heartbeat and stats every TTL/3 seconds, apart from the listen loop: a command that
        waits on a frozen server must not delay the subscriber's health checks."""
        while not self._stopping.wait(self.beat_interval):
            if self.subscribed.is_set():
                try:
                    self._beat()
                except Exception:
                    logger.exception("bus heartbeat failed")

    # -- shutdown --------------------------------------------------------------------
    def close(self):
        """Stop the subscriber and take this process out of presence and stats now."""
        if self._publisher is not None:
            publisher, self._publisher = self._publisher, None
            publisher.close()  # what was queued is published first
        if self._stopping is not None:
            self._stopping.set()
        self.subscribed.clear()
        task, self._task = self._task, None
        if task is not None and task is not threading.current_thread():
            task.join(3)
        self.members.close()
        self.link.close()
        self.runtime = None
