"""Publishing off the hot path: one queue and one publisher per socket process.

A ``PUBLISH`` made inside the greenlet that emits waits for Redis' answer,
and that wait yields to the hub after every message: the clients' writers
then wake once per message instead of once per batch, and a burst runs at
half speed. Here the emitting code only appends the encoded envelope to a
queue; one publisher (a greenlet under gevent) sends what has queued up in
one pipelined round trip, in the order it was queued.

Nothing acknowledged is lost to this: :meth:`Publisher.wait` lets a caller
wait until everything queued before it has been handed to Redis, and
``Event.ack`` does so (through ``Bus.wait_sent``) before a client's event is
acknowledged, so an acked chat line has been published (and stored) before
its sender hears back, even if the process is then killed.
"""

import logging
import threading
from collections import deque

logger = logging.getLogger("realtime.bus")

#: Envelopes per pipelined round trip.
BATCH = 512
#: Envelopes that may wait; past this an emitter waits for the publisher (backpressure).
LIMIT = 20_000


class Publisher:
    """Sends queued payloads with ``send_batch(list)`` from its own thread/greenlet, in order."""

    def __init__(self, send_batch, name="realtime-bus-publisher"):
        self._send_batch = send_batch
        self._pending = deque()
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._stopping = False
        self.queued = 0  # payloads queued so far
        self.sent = 0  # payloads handed to Redis (or counted lost) so far
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, payload):
        self._pending.append(payload)
        self.queued += 1
        self._wake.set()
        if len(self._pending) > LIMIT:
            self.wait()

    def wait(self, timeout=10.0):
        """Wait until everything queued so far was sent; False on timeout."""
        target = self.queued
        if self.sent >= target or threading.current_thread() is self._thread:
            return True
        with self._done:
            return self._done.wait_for(lambda: self.sent >= target, timeout)

    def _run(self):
        while True:
            self._wake.wait()
            self._wake.clear()
            pending = self._pending
            while pending:
                batch = [pending.popleft() for _ in range(min(BATCH, len(pending)))]
                try:
                    self._send_batch(batch)
                except Exception:
                    logger.exception("publishing %d envelopes failed", len(batch))
                self.sent += len(batch)
                with self._done:
                    self._done.notify_all()
            if self._stopping:
                return

    def close(self, timeout=3.0):
        """Send what is queued, then stop."""
        self._stopping = True
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
