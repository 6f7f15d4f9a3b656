"""The Redis bus's presence and stats parts (see :mod:`realtime.bus.parts`).

Keys, all under the channel prefix ``P`` (``REALTIME_CHANNEL_PREFIX``):

================================  ===========================================
``P:alive:<process>``             heartbeat; expires after REALTIME_PRESENCE_TTL
``P:presence:<endpoint>:<room>``  hash ``<process>|<sid>`` -> member JSON
``P:rooms:<process>``             presence hashes this process wrote (reaping)
``P:processes``                   hash ``<process>`` -> its latest stats
================================  ===========================================

Presence bound: a process refreshes its heartbeat every TTL/3 seconds; once
it dies (even by SIGKILL) its heartbeat expires within TTL seconds and
``presence()`` stops listing its members at once (and deletes them).
"""

import json
import logging
import time

from realtime.bus.parts import Presence, Stats
from realtime.presence import describe
from realtime.registry import connected_sockets

logger = logging.getLogger("realtime.bus")


class Keys:
    def __init__(self, prefix, process_id):
        self.prefix, self.process_id = prefix, process_id
        self.processes = f"{prefix}:processes"

    def alive(self, process_id=None):
        return f"{self.prefix}:alive:{process_id or self.process_id}"

    def rooms(self, process_id=None):
        return f"{self.prefix}:rooms:{process_id or self.process_id}"

    def presence(self, endpoint, room):
        return f"{self.prefix}:presence:{endpoint}:{room}"


def _glob_escape(text):
    """Escape Redis MATCH glob characters."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def forget_process(c, keys, process_id):
    """Delete a process's presence entries, heartbeat and stats row."""
    for key in c.smembers(keys.rooms(process_id)):
        fields = [f for f, _ in c.hscan_iter(key, match=_glob_escape(process_id) + "|*")]
        if fields:
            c.hdel(key, *fields)
    c.delete(keys.rooms(process_id), keys.alive(process_id))
    c.hdel(keys.processes, process_id)


class RedisPresence(Presence):
    """Members in one hash per room; a heartbeat key per process says which entries are alive."""

    def __init__(self, process_id, link, keys, ttl):
        super().__init__(process_id)
        self.link, self.keys, self.ttl = link, keys, ttl
        self._last_reap = 0.0

    def _field(self, socket):
        return f"{self.process_id}|{socket.sid}"

    def joined(self, socket, room):
        key = self.keys.presence(socket.endpoint, room)
        member = json.dumps(describe(socket, self.process_id))

        def add(c):
            pipe = c.pipeline(transaction=False)
            pipe.hset(key, self._field(socket), member)
            pipe.sadd(self.keys.rooms(), key)
            return pipe.execute()

        self.link.command(add, "presence join")

    def left(self, socket, room):
        key = self.keys.presence(socket.endpoint, room)
        self.link.command(lambda c: c.hdel(key, self._field(socket)), "presence leave")

    def beat(self):
        """Refresh this process's heartbeat; now and then forget the processes whose heartbeat expired."""
        ttl_ms = int(self.ttl * 1000)
        self.link.command(lambda c: c.set(self.keys.alive(), "1", px=ttl_ms), "heartbeat")
        now = time.monotonic()
        if now - self._last_reap >= self.ttl:
            self._last_reap = now
            self.link.command(self.reap, "reaping")

    def reap(self, c):
        """Forget processes whose heartbeat expired: their stats and presence entries."""
        processes = [p.decode() for p in c.hkeys(self.keys.processes)]
        if not processes:
            return 0
        pipe = c.pipeline(transaction=False)
        for p in processes:
            pipe.exists(self.keys.alive(p))
        dead = [p for p, alive in zip(processes, pipe.execute()) if not alive]
        for p in dead:
            forget_process(c, self.keys, p)
        if dead:
            logger.info("presence: forgot %d dead process(es): %s", len(dead), ", ".join(dead))
        return len(dead)

    def resync(self):
        """After (re)connecting: Redis may have restarted empty (or failed over); write our members again."""
        entries = {}
        for socket in connected_sockets:
            for room in socket.rooms:
                key = self.keys.presence(socket.endpoint, room)
                entries.setdefault(key, {})[self._field(socket)] = json.dumps(describe(socket, self.process_id))
        if not entries:
            return

        def write(c):
            pipe = c.pipeline(transaction=False)
            for key, fields in entries.items():
                pipe.hset(key, mapping=fields)
                pipe.sadd(self.keys.rooms(), key)
            return pipe.execute()

        self.link.command(write, "presence resync")

    def others(self, room, endpoint="/"):
        """Members in the other live processes; a dead process's entries are deleted.

        While Redis is unreachable, none (only this process's members are listed).
        """
        key = self.keys.presence(endpoint, room)
        raw = self.link.command(lambda c: c.hgetall(key), "presence")
        by_process = {}
        for field, value in (raw or {}).items():
            process, _, _sid = field.decode().partition("|")
            if process != self.process_id:
                by_process.setdefault(process, []).append((field, value))
        if not by_process:
            return []
        processes = list(by_process)

        def alive(c):
            pipe = c.pipeline(transaction=False)
            for p in processes:
                pipe.exists(self.keys.alive(p))
            return pipe.execute()

        flags = self.link.command(alive, "presence")
        if flags is None:
            return []
        members, ghosts = [], []
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
            self.link.command(lambda c: c.hdel(key, *ghosts), "presence cleanup")
        return members

    def close(self):
        if self.link._client is not None:
            self.link.command(lambda c: forget_process(c, self.keys, self.process_id), "shutdown")


class RedisStats(Stats):
    """Each process's latest figures in one hash, written by its listen loop every TTL/3 seconds."""

    def __init__(self, process_id, bus, link, keys, ttl):
        super().__init__(process_id, bus)
        self.link, self.keys, self.ttl = link, keys, ttl

    def share(self):
        snapshot = json.dumps(self.local())
        self.link.command(lambda c: c.hset(self.keys.processes, self.process_id, snapshot), "stats")

    def others(self):
        rows = self.link.command(lambda c: c.hgetall(self.keys.processes), "stats") or {}
        result = []
        for process, raw in rows.items():
            if process.decode() == self.process_id:
                continue
            try:
                row = json.loads(raw)
            except ValueError:
                continue
            if isinstance(row, dict) and time.time() - row.get("time", 0) <= self.ttl:
                result.append(row)
        return result
