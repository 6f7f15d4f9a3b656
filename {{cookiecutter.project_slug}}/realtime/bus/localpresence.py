"""Presence and stats shared by the local bus's processes: one SQLite file next to their sockets.

``manage.py rundev`` serves Socket.IO and SockJS from two processes. Rooms
already span both (the local bus carries envelopes), but "who is in this
room" must too: otherwise each process sees only its own clients, and a
nickname can be taken twice, once per transport. A networked bus keeps
presence in its server; here the processes share a machine, so a file does:

* each process writes its own members (a row per socket and room) when a
  socket joins, leaves or changes its details, and deletes them on close;
* ``presence(room)`` reads every process's rows; a row whose process no
  longer runs (killed, crashed, restarted by ``--reload``) is left out and
  deleted. Same machine, so "no longer runs" is exact: its pid is gone.

Why SQLite and not asking the peer process over the bus: a file needs no
request/reply protocol, no timeouts, and answers even while the peer is
busy or restarting; Python ships ``sqlite3``. Why not the project's
database: it may be a database server, and presence must not need a migration.
It stays small on purpose: production presence is the networked bus's job.

Stats: each process also writes its dashboard figures there every few
seconds (a row per process), so the dashboard of either ``rundev`` process
lists both; rows of processes that no longer run are left out and deleted.
"""

import json
import logging
import os
import sqlite3
import threading

from realtime.bus.parts import Presence, Stats
from realtime.presence import describe

logger = logging.getLogger("realtime.bus")

FILENAME = "presence.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS member (
    process TEXT NOT NULL, pid INTEGER NOT NULL, endpoint TEXT NOT NULL,
    room TEXT NOT NULL, sid TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (endpoint, room, process, sid)
);
CREATE TABLE IF NOT EXISTS figures (
    process TEXT PRIMARY KEY, pid INTEGER NOT NULL, data TEXT NOT NULL
)
"""


#: The process ids of this process's buses (a process may make several, e.g. a settings check).
_ours = set()


def pid_alive(pid):
    """True if a process with this pid runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


class SharedPresence:
    """The members and figures of every local-bus process, in ``<directory>/presence.sqlite3``."""

    def __init__(self, directory, process_id):
        self.path = os.path.join(str(directory), FILENAME)
        self.process_id = process_id
        self.pid = os.getpid()
        self._lock = threading.Lock()
        # Autocommit, one connection per process guarded by a lock (receivers
        # run in threads under tornado); WAL lets readers and a writer overlap.
        self._db = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            _ours.add(process_id)
            # Rows with our pid that no bus of this process wrote are a dead process's
            # (pids are reused): forget them, since pid_alive() cannot tell them apart.
            same_pid = self._db.execute("SELECT DISTINCT process FROM member WHERE pid = ?", (self.pid,)).fetchall()
            for (process,) in same_pid:
                if process not in _ours:
                    self._db.execute("DELETE FROM member WHERE process = ?", (process,))
                    self._db.execute("DELETE FROM figures WHERE process = ?", (process,))

    def _run(self, what, sql, params=()):
        try:
            with self._lock:
                if self._db is None:  # closed: this process is leaving
                    return None
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            logger.warning("local bus presence: %s failed (%s); presence may be incomplete until it works", what, exc)
            return None

    def write(self, endpoint, room, sid, member):
        self._run(
            "join",
            "INSERT OR REPLACE INTO member (process, pid, endpoint, room, sid, data) VALUES (?, ?, ?, ?, ?, ?)",
            (self.process_id, self.pid, endpoint, room, sid, json.dumps(member)),
        )

    def remove(self, endpoint, room, sid):
        self._run(
            "leave",
            "DELETE FROM member WHERE endpoint = ? AND room = ? AND process = ? AND sid = ?",
            (endpoint, room, self.process_id, sid),
        )

    def others(self, room, endpoint="/"):
        """Members of ``room`` held by the other live processes (dead ones' rows are deleted)."""
        rows = self._run(
            "presence",
            "SELECT pid, data FROM member WHERE endpoint = ? AND room = ? AND process != ?",
            (endpoint, room, self.process_id),
        )
        members, dead = [], set()
        for pid, data in rows or ():
            if pid in dead or not pid_alive(pid):
                dead.add(pid)
                continue
            try:
                members.append(json.loads(data))
            except ValueError:
                continue
        for pid in dead:
            self._run("cleanup", "DELETE FROM member WHERE pid = ?", (pid,))
        if dead:
            logger.info("local bus presence: forgot the members of %d dead process(es)", len(dead))
        return members

    # -- stats -------------------------------------------------------------------
    def write_figures(self, row):
        self._run(
            "stats",
            "INSERT OR REPLACE INTO figures (process, pid, data) VALUES (?, ?, ?)",
            (self.process_id, self.pid, json.dumps(row)),
        )

    def other_figures(self):
        """The other live processes' latest figures (dead ones' rows are deleted)."""
        rows = self._run("stats", "SELECT pid, data FROM figures WHERE process != ?", (self.process_id,))
        result = []
        for pid, data in rows or ():
            if not pid_alive(pid):
                self._run("cleanup", "DELETE FROM figures WHERE pid = ?", (pid,))
                continue
            try:
                result.append(json.loads(data))
            except ValueError:
                continue
        return result

    def close(self):
        """Take this process out of presence and stats now."""
        self._run("shutdown", "DELETE FROM member WHERE process = ?", (self.process_id,))
        self._run("shutdown", "DELETE FROM figures WHERE process = ?", (self.process_id,))
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()


class LocalPresence(Presence):
    """This process's members from memory, the other processes' from the shared file."""

    def __init__(self, shared):
        super().__init__(shared.process_id)
        self.shared = shared

    def joined(self, socket, room):
        self.shared.write(socket.endpoint, room, socket.sid, describe(socket, self.process_id))

    def left(self, socket, room):
        self.shared.remove(socket.endpoint, room, socket.sid)

    def others(self, room, endpoint="/"):
        return self.shared.others(room, endpoint)

    def close(self):
        self.shared.close()


class LocalStats(Stats):
    """Figures shared through the same file: the bus's loop writes this process's every few seconds."""

    def __init__(self, shared, bus):
        super().__init__(shared.process_id, bus)
        self.shared = shared

    def share(self):
        self.shared.write_figures(self.local())

    def others(self):
        return self.shared.other_figures()
