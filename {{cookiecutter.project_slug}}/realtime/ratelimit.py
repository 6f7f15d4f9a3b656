"""A per-connection limit on client events: a token bucket.

One connection could otherwise send events as fast as its link allows (a
thousand ``ping everyone`` in a burst reached every listener a thousand
times). Each connection holds ``REALTIME_EVENT_BURST`` tokens, refilled at
``REALTIME_EVENT_RATE`` a second; an event takes one. An event with no token
left is not handled: the client gets a ``rate_limited`` error (in the ack
when it asked for one) with ``retry_after`` seconds, and the server logs one
line per streak of refusals, not one per event. The defaults let every
normal page through; lower them for a public site with anonymous users.

One user could still multiply that by opening many connections (ten
connections posted 50 messages in 1.4 s). So the events of one logged-in
user, or of one Django session when anonymous, across all their connections
also share a bucket: ``REALTIME_USER_EVENT_BURST`` tokens refilled at
``REALTIME_USER_EVENT_RATE`` a second, per process (each socket process
counts for itself: with N processes a user may send up to N times the rate).
A connection with neither a user nor a session (a bare script) has only its
own bucket; ``REALTIME_MAX_CONNECTIONS_PER_IP`` (``realtime.limits``) bounds
how many such connections one address may open.

Applied by :func:`realtime.dispatch.event` and the client-signal endpoints
(:mod:`realtime.clientsignal.connection`), so both transports and both APIs
share it.
"""

import logging
import threading
import time

from realtime import conf, stats

logger = logging.getLogger("realtime")


class TokenBucket:
    def __init__(self, rate, burst):
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.refusing = False  # inside a streak of refusals (logged once)
        self._lock = threading.Lock()

    def take(self):
        """0 if an event may pass (and counts it), else the seconds until one may."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                self.refusing = False
                return 0
            return round((1 - self.tokens) / self.rate, 2) or 0.01


    def idle(self, now):
        """True when the bucket has been full for a while (forgetting it changes nothing)."""
        return now - self.stamp > self.burst / self.rate + 60


#: user or session key -> its bucket, shared by all its connections in this process.
_owners = {}
_owners_lock = threading.Lock()


def owner_key(socket):
    """``"user:<pk>"``, ``"session:<key>"``, or None for a connection with neither."""
    if socket.user_id is not None:
        return f"user:{socket.user_id}"
    session = getattr(socket.request, "session", None)
    key = getattr(session, "session_key", None)
    return f"session:{key}" if key else None


def _owner_bucket(key, rate, burst):
    with _owners_lock:
        bucket = _owners.get(key)
        if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
            if len(_owners) >= 10_000:
                now = time.monotonic()
                for stale in [k for k, b in _owners.items() if b.idle(now)]:
                    del _owners[stale]
            bucket = _owners[key] = TokenBucket(rate, burst)
        return bucket


def refusal(socket):
    """None if ``socket`` may send one more event now, else the error to answer it with."""
    limited = _connection_refusal(socket)
    return limited if limited is not None else _owner_refusal(socket)


def _owner_refusal(socket):
    rate, burst = conf.user_event_rate()
    key = owner_key(socket) if rate else None
    if key is None:
        return None
    return _take(
        _owner_bucket(key, rate, burst),
        (rate, burst),
        "refusing events from %s (on %s): over REALTIME_USER_EVENT_RATE (%g/s, burst %g) across its connections",
        (key.split(":")[0] if key.startswith("session:") else key, socket.sid),
        "Too many events from your connections together",
    )


def _connection_refusal(socket):
    rate, burst = conf.event_rate()
    if not rate:
        return None
    bucket = getattr(socket, "event_bucket", None)
    if bucket is None:
        bucket = socket.event_bucket = TokenBucket(rate, burst)
    return _take(
        bucket,
        (rate, burst),
        "refusing events from %s: over REALTIME_EVENT_RATE (%g/s, burst %g); raise it if this client is legitimate",
        (socket.sid,),
        "Too many events",
    )


def _take(bucket, limit, log_format, who, message):
    """None if ``bucket`` lets one more event pass, else the ``rate_limited`` error to answer.

    Shared by the per-connection and the per-owner limit so both count, log
    (one line per streak: ``log_format`` with ``who`` then the rate and burst)
    and answer alike.
    """
    wait = bucket.take()
    if not wait:
        return None
    rate, burst = limit
    stats.counters.dropped += 1
    if not bucket.refusing:
        bucket.refusing = True
        logger.warning(log_format, *who, rate, burst)
    return {
        "error": "rate_limited",
        "message": f"{message}: at most {rate:g} a second ({burst:g} at once).",
        "retry_after": wait,
    }
