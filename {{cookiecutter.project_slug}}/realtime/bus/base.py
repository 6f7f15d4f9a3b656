"""The fan-out contract every bus backend implements.

:meth:`Bus.publish` delivers an envelope to this process's sockets at once,
then hands it to :meth:`Bus._publish`, the backend's hook that sends it to
the other processes (as python-socketio's ``PubSubManager._publish``). In a
socket process :meth:`Bus.start` gets the server's runtime
(:mod:`realtime.bus.runtime`) and calls :meth:`Bus._listen`, the backend's one
listen loop, which hands what it receives to :meth:`Bus.receive_data`.

Presence and stats are separate parts (:mod:`realtime.bus.parts`): a backend
names its classes in ``presence_class`` and ``stats_class``. The methods
below that delegate to them (``joined``, ``left``, ``update_member``,
``presence``, ``stats``) are the API the rest of ``realtime`` calls.

"Add a bus backend" in the project's README walks through a whole one
(:mod:`realtime.tests.live.example_bus`, run by the contract suite).
"""

import logging
import os
import socket
import uuid

from realtime import delivery, stats
from realtime.bus.parts import Presence, Stats
from realtime.bus.runtime import get_runtime
from realtime.envelope import Envelope
from realtime.exceptions import BadEnvelope

logger = logging.getLogger("realtime.bus")


def make_process_id():
    """host:pid:random, unique across restarts and hosts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Bus:
    """One process's bus: local delivery is the same for every backend."""

    #: True when envelopes reach other processes (the dashboard says so).
    networked = False
    presence_class = Presence
    stats_class = Stats

    def __init__(self):
        self.process_id = make_process_id()
        self.runtime = None  # set by start(): only socket processes listen
        self._stopping = None
        self.members = self.presence_class(self.process_id)
        self.figures = self.stats_class(self.process_id, self)

    # -- fan-out -------------------------------------------------------------------
    def publish(self, envelope):
        """Deliver ``envelope`` here, then send it to the other processes."""
        envelope.origin = self.process_id
        stats.counters.published += 1
        delivery.deliver(envelope)
        self._publish(envelope)

    def _publish(self, envelope):
        """Backend hook: send ``envelope`` to the other processes (their own echo is skipped)."""

    def receive(self, envelope):
        """An envelope from another process: deliver it here (our own echo is skipped)."""
        if envelope.origin == self.process_id:
            return 0
        return delivery.deliver(envelope)

    def receive_data(self, data):
        """Raw JSON from the wire: decode once and deliver; a bad one is dropped with one line."""
        try:
            envelope = Envelope.from_json(data.decode() if isinstance(data, bytes) else data)
        except (BadEnvelope, UnicodeDecodeError) as exc:
            stats.counters.dropped += 1
            logger.warning("%s: dropped a bad envelope: %s", type(self).__name__, exc)
            return 0
        try:
            return self.receive(envelope)
        except Exception:
            logger.exception("delivering %r failed", envelope)
            return 0

    def wait_sent(self, timeout=10.0):
        """Wait until what this process published has left it (a no-op unless a backend queues)."""
        return True

    def start(self, runtime="thread", io_loop=None, **options):
        """Listen for the other processes' envelopes (socket processes; once).

        ``runtime`` is a :class:`~realtime.bus.runtime.Runtime` or its name
        (``"gevent"``, ``"tornado"`` with ``io_loop``, ``"thread"``).
        """
        if self.runtime is not None:
            return
        self.runtime = get_runtime(runtime, io_loop)
        self._stopping = self.runtime.event()
        self._start()

    def _start(self):
        """Backend hook: spawn the listen loop, e.g. ``self.runtime.spawn(self._listen)``."""

    def _listen(self):
        """Backend hook: the one listen loop; runs until ``self._stopping`` is set."""

    def close(self):
        """Stop listening, release connections, leave presence and stats."""
        if self._stopping is not None:
            self._stopping.set()
        self.members.close()
        self.figures.close()

    def state(self):
        """What the dashboard shows about this bus (a backend adds its link's state)."""
        return {"subscribed": self.runtime.name if self.runtime else None}

    # -- presence and stats (delegated to the parts) --------------------------------------
    def joined(self, socket, room):
        self.members.joined(socket, room)

    def left(self, socket, room):
        self.members.left(socket, room)

    def update_member(self, socket):
        """``socket``'s presence details changed (the chat's nickname): record them again."""
        self.members.refresh(socket)

    def presence(self, room, endpoint="/"):
        """Who is in ``room`` in every process: a list of member dicts."""
        return self.members.members(room, endpoint)

    def stats(self):
        """Every process's figures for the dashboard."""
        return self.figures.rows()

    def local_stats(self):
        return self.figures.local()
