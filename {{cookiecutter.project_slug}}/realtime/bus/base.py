"""What every bus backend provides."""

import os
import socket
import uuid

from realtime import delivery, stats


def make_process_id():
    """host:pid:random, unique across restarts and hosts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Bus:
    """Base class: local delivery is the same for every backend.

    A backend adds ``_publish_remote`` (send to the other processes) and,
    in socket processes, ``start()`` (listen for theirs). Presence hooks
    default to this process's own registry.
    """

    #: True when envelopes reach other processes (the stats page says so).
    networked = False

    def __init__(self):
        self.process_id = make_process_id()

    def publish(self, envelope):
        envelope.origin = self.process_id
        stats.counters.published += 1
        delivery.deliver(envelope)
        self._publish_remote(envelope)

    def receive(self, envelope):
        """An envelope from another process: deliver it here (once)."""
        if envelope.origin == self.process_id:
            return 0
        return delivery.deliver(envelope)

    def wait_sent(self, timeout=10.0):
        """Wait until what this process published has left it (a no-op unless a backend queues)."""
        return True

    def _publish_remote(self, envelope):
        """Send to the other processes; the memory bus has none."""

    def start(self, **options):
        """Start listening for other processes' envelopes (socket processes)."""

    def close(self):
        """Stop listening and release connections."""

    # -- stats ---------------------------------------------------------------
    def stats(self):
        """Per-process figures for the stats page; the memory bus knows only this process."""
        return [stats.snapshot(self.process_id)]

    # -- presence ------------------------------------------------------------
    def joined(self, socket, room):
        """``socket`` joined ``room`` (record it where presence can see it)."""

    def left(self, socket, room):
        """``socket`` left ``room``."""

    def update_member(self, socket):
        """``socket``'s presence details changed (e.g. a nickname); re-record them."""

    def presence(self, room, endpoint="/"):
        """Who is in ``room``: a list of member dicts (see ``realtime.presence``)."""
        from realtime.presence import describe
        from realtime.registry import connected_sockets

        return [describe(s, self.process_id) for s in connected_sockets.in_room(room, endpoint)]
