"""A per-connection limit on client events: a token bucket.

One connection could otherwise send events as fast as its link allows (a
thousand ``ping everyone`` in a burst reached every listener a thousand
times). Each connection holds ``REALTIME_EVENT_BURST`` tokens, refilled at
``REALTIME_EVENT_RATE`` a second; an event takes one. An event with no token
left is not handled: the client gets a ``rate_limited`` error (in the ack
when it asked for one) with ``retry_after`` seconds, and the server logs one
line per streak of refusals, not one per event. The defaults let every
normal page through; lower them for a public site with anonymous users.

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


def refusal(socket):
    """None if ``socket`` may send one more event now, else the error to answer it with."""
    rate, burst = conf.event_rate()
    if not rate:
        return None
    bucket = getattr(socket, "event_bucket", None)
    if bucket is None:
        bucket = socket.event_bucket = TokenBucket(rate, burst)
    wait = bucket.take()
    if not wait:
        return None
    stats.counters.dropped += 1
    if not bucket.refusing:
        bucket.refusing = True
        logger.warning(
            "refusing events from %s: over REALTIME_EVENT_RATE (%g/s, burst %g); raise it if this client is legitimate",
            socket.sid,
            rate,
            burst,
        )
    return {
        "error": "rate_limited",
        "message": f"Too many events: at most {rate:g} a second ({burst:g} at once).",
        "retry_after": wait,
    }
