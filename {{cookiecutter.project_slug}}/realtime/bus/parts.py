"""The bus's two side jobs, each behind its own small interface: presence and stats.

A bus backend carries envelopes between processes (:class:`realtime.bus.base.Bus`).
Processes also need to know who is in a room in EVERY process (presence:
``realtime.presence()``, the chat's nickname check) and what every process is
doing (stats: the dashboard). A backend pairs its fan-out with one of each:

* :class:`Presence`: this process's members straight from its registry; a
  backend overrides :meth:`Presence.others` (and the write hooks) to add
  the other processes' members from where it shares them (its server, a
  SQLite file);
* :class:`Stats`: this process's figures; a backend overrides
  :meth:`Stats.share` (called every few seconds by its listen loop) and
  :meth:`Stats.others` to show every process on the dashboard.

The defaults are the memory bus's: one process, nothing shared.
"""

from realtime import stats
from realtime.presence import describe


class Presence:
    """Who is in which room. Hooks run in the thread/greenlet that joined or left."""

    def __init__(self, process_id):
        self.process_id = process_id

    def joined(self, socket, room):
        """``socket`` joined ``room``: record it where the other processes can see it."""

    def left(self, socket, room):
        """``socket`` left ``room`` (or disconnected)."""

    def refresh(self, socket):
        """``socket``'s details changed (the chat sets a nickname after joining): record them again."""
        for room in socket.rooms:
            self.joined(socket, room)

    def members(self, room, endpoint="/"):
        """Every process's members of ``room``: member dicts (see :func:`realtime.presence.describe`)."""
        from realtime.registry import connected_sockets

        mine = [describe(s, self.process_id) for s in connected_sockets.in_room(room, endpoint)]
        return mine + self.others(room, endpoint)

    def others(self, room, endpoint="/"):
        """The other live processes' members of ``room`` (none: one process)."""
        return []

    def beat(self):
        """Keep this process's entries alive (the bus's listen loop calls it every few seconds)."""

    def resync(self):
        """Write every member of this process again (the shared store may have restarted empty)."""

    def close(self):
        """This process is leaving: take its members out now."""


class Stats:
    """Every process's figures for the dashboard; this one's always fresh."""

    def __init__(self, process_id, bus):
        self.process_id = process_id
        self.bus = bus

    def local(self):
        """This process's figures, with its bus's state."""
        row = stats.snapshot(self.process_id)
        row["bus"] = {**self.bus.state(), **stats.bus_state(self.bus)}
        return row

    def share(self):
        """Publish this process's figures for the others (a backend's loop calls it every few seconds)."""

    def others(self):
        """The other live processes' latest figures."""
        return []

    def rows(self):
        """Every live process's figures, oldest process first."""
        mine = self.local()
        rows = {row["process"]: row for row in self.others() if isinstance(row, dict) and "process" in row}
        if self.bus.runtime is not None or mine["connections_total"] or not rows:
            rows[self.process_id] = mine  # a plain web process with no sockets is not a row
        return sorted(rows.values(), key=lambda r: r.get("started", 0))

    def close(self):
        """This process is leaving: take its row out now."""
