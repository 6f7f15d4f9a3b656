"""The live dashboard's feed: each socket process pushes its figures to the staff watching.

The dashboard page (``/realtime/``) opens a realtime socket on the core
endpoint like any page and emits ``realtime:watch``; a staff user's socket
joins the room ``realtime:dashboard`` and gets every process's last figures
in the ack. From then on, while anyone is in that room (in any process:
presence says so), every socket process publishes its own snapshot there
once a second, through the bus like any other emit. The page adds the
processes up and computes rates from successive counter totals.

Why push: the page's process could read everyone's last report instead, but
processes report to a networked bus only every few seconds, which would make
the chart a staircase; pushing keeps one-second resolution with any number of
processes, for one small publish per process per second, only while watched.
The updates count in the figures like any message (one per process per
second for each page open). The page polls ``stats.json`` when its socket is
down, and now and then anyway, to list processes that do not push.
"""

import logging
import threading
import time

from django.dispatch import receiver

from realtime import stats
from realtime.bus import get_bus
from realtime.envelope import Envelope
from realtime.registry import connected_sockets
from realtime.signals import socket_client_event_by_type, socket_connected

logger = logging.getLogger("realtime.dashboard")

ROOM = "realtime:dashboard"
WATCH = "realtime:watch"
EVENT = "realtime:stats"
#: Seconds between two reports of a watched process.
INTERVAL = 1.0
#: Seconds between two presence checks while nobody watches from this process.
CHECK_EVERY = 3.0


def is_staff(user):
    return bool(user is not None and user.is_active and user.is_staff)


def report_row(bus):
    """This process's figures as the dashboard shows them (a JSON-safe dict, with the bus's state)."""
    return bus.local_stats()


class Reporter:
    """One per process: a thread (a greenlet under gevent) that reports while watched."""

    def __init__(self):
        self._lock = threading.Lock()
        self._thread = None
        self._stopping = None
        self._next_check = 0.0
        self._watched_elsewhere = False
        self._failing = False

    @property
    def running(self):
        return self._thread is not None

    def start(self):
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._stopping = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stopping,), name="realtime-dashboard", daemon=True
                )
                self._thread.start()

    def stop(self, timeout=5):
        """Stop reporting (tests use it; a server simply exits)."""
        with self._lock:
            thread, stopping, self._thread = self._thread, self._stopping, None
        if thread is not None:
            stopping.set()
            thread.join(timeout)

    def watched(self):
        """Someone watches: here (no bus call), or in another process (checked every few seconds)."""
        if connected_sockets.in_room(ROOM):
            return True
        bus = get_bus()
        if not bus.networked:
            return False
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHECK_EVERY
            self._watched_elsewhere = bool(bus.presence(ROOM))
        return self._watched_elsewhere

    def report(self):
        bus = get_bus()
        bus.publish(Envelope.for_event(EVENT, [report_row(bus)], room=ROOM))

    def _run(self, stopping):
        while not stopping.wait(INTERVAL):
            try:
                if self.watched():
                    self.report()
                self._failing = False
            except Exception:
                if not self._failing:  # one traceback per outage, not one a second
                    logger.exception("dashboard: reporting failed; retrying every %ss", INTERVAL)
                self._failing = True


reporter = Reporter()


@receiver(socket_client_event_by_type[WATCH])
def watch(sender, request, event, **kwargs):
    """A dashboard page asks for the feed: staff only; the ack carries every process's last figures."""
    if not is_staff(sender.user):
        logger.info("dashboard: refused %s: not a staff user", sender.sid)
        return {"error": "forbidden", "message": "The dashboard is for staff users: log in as one."}
    sender.join(ROOM)
    reporter.start()
    return {"ok": True, "interval": INTERVAL, "stats": stats.gather()}


@receiver(socket_connected)
def _start_with_a_networked_bus(sender, **kwargs):
    """With a networked bus, a page may watch from another process: this one must report too."""
    if not reporter.running and get_bus().networked:
        reporter.start()
