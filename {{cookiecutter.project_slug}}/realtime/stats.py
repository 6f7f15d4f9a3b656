"""Counters for the dashboard: cheap integer increments, read by sampling.

The hot path only increments integers; :func:`snapshot` turns them into
per-second rates when the dashboard (or the bus's periodic report) asks, and
:func:`gather` puts every process's snapshot together. The live dashboard
computes its own rates from successive ``totals`` (exact whatever the
interval), so ``per_second`` here is only the last window's figure.
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
        self.overloaded = 0  # clients cut off: their receivers stalled, or they do not read (realtime.outbox)

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__slots__}


counters = Counters()

RATES = ("messages_in", "messages_out", "published")
#: A snapshot lists at most this many rooms (the most populated ones).
MAX_ROOMS = 50

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
    members = Counter()
    for s in connected_sockets:
        connections[s.transport] += 1
        members.update((s.endpoint, r) for r in s.rooms)
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
        "rooms": len(members),
        # [endpoint, room, this process's members], most populated first
        "room_members": [[e, r, n] for (e, r), n in members.most_common(MAX_ROOMS)],
        "per_second": rates,
        "totals": counts,
    }


def bus_state(bus):
    """What the dashboard says about ``bus``: its class, whether it spans processes."""
    return {"backend": type(bus).__name__, "networked": bool(bus.networked)}


def gather():
    """Every process's figures, put together for the dashboard and ``stats.json``.

    With a networked bus every socket process reports over the bus every few
    seconds (``REALTIME_PRESENCE_TTL`` / 3) and this lists each live one;
    with the in-memory bus it is this process alone.
    """
    from realtime.bus import get_bus

    bus = get_bus()
    now = time.time()
    rows = bus.stats()
    transports = sorted({t for row in rows for t in row.get("transports", [])})
    rooms = Counter()
    for row in rows:
        row["age"] = round(max(0.0, now - row.get("time", now)), 1)
        row["uptime"] = round(max(0.0, now - row.get("started", now)))
        row["this_process"] = row.get("process") == bus.process_id
        for endpoint, room, count in row.get("room_members", ()):
            rooms[(endpoint, room)] += count
    totals = {
        "processes": len(rows),
        "connections": sum(row.get("connections_total", 0) for row in rows),
        "connections_by_transport": {t: sum(row.get("connections", {}).get(t, 0) for row in rows) for t in transports},
        "per_second": {
            key: round(sum(row.get("per_second", {}).get(key, 0) for row in rows), 1) for key in RATES
        },
        "refused": sum(row.get("totals", {}).get("refused", 0) for row in rows),
        "dropped": sum(row.get("totals", {}).get("dropped", 0) for row in rows),
    }
    return {
        "networked": bus.networked,
        "bus": bus_state(bus),
        "process": bus.process_id,
        "time": now,
        "transports": transports,
        "processes": rows,
        "rooms": [{"endpoint": e, "room": r, "members": n} for (e, r), n in rooms.most_common(MAX_ROOMS)],
        "totals": totals,
    }
