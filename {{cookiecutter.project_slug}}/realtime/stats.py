"""Counters for the stats page: cheap integer increments, read by sampling.

The hot path only increments integers; :func:`snapshot` turns them into
per-second rates when the stats page (or the bus's periodic report) asks.
"""

import os
import socket
import threading
import time
from collections import Counter


class Counters:
    __slots__ = ("messages_in", "messages_out", "published", "refused", "dropped", "overloaded")

    def __init__(self):
        self.messages_in = 0  # frames received from clients
        self.messages_out = 0  # frames written to clients
        self.published = 0  # envelopes published from this process
        self.refused = 0  # connections refused (origin, receiver)
        self.dropped = 0  # bad input dropped (malformed, oversized, unknown)
        self.overloaded = 0  # clients cut off because their receivers stalled (backpressure's hard limit)

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__slots__}


counters = Counters()

RATES = ("messages_in", "messages_out", "published")
#: Rates are measured over at least this many seconds (a page reload in
#: between does not turn them into noise).
MIN_WINDOW = 1.0

_started = time.time()
_lock = threading.Lock()
_sample = None  # (monotonic time, counters dict, rates dict)


def snapshot(process_id):
    """This process's figures, JSON-safe: connections per transport, rooms, rates."""
    global _sample
    from realtime import delivery
    from realtime.registry import connected_sockets

    now = time.monotonic()
    counts = counters.as_dict()
    with _lock:
        if _sample is None:
            rates = dict.fromkeys(RATES, 0.0)
            _sample = (now, counts, rates)
        elif now - _sample[0] >= MIN_WINDOW:
            elapsed = now - _sample[0]
            rates = {k: round((counts[k] - _sample[1][k]) / elapsed, 1) for k in RATES}
            _sample = (now, counts, rates)
        else:
            rates = _sample[2]
    connections = Counter()
    rooms = set()
    for s in connected_sockets:
        connections[s.transport] += 1
        rooms.update((s.endpoint, r) for r in s.rooms)
    transports = sorted({a.transport for a in delivery.adapters() if a.transport} | set(connections))
    return {
        "process": process_id,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": _started,
        "time": time.time(),
        "transports": transports,
        "connections": {t: connections.get(t, 0) for t in transports},
        "connections_total": sum(connections.values()),
        "rooms": len(rooms),
        "per_second": rates,
        "totals": counts,
    }
