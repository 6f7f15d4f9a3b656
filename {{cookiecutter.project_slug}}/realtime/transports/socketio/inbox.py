"""A client's events wait here for its receivers: backpressure, never loss.

Engine.IO hands us a client's packets in the greenlet that reads its
websocket (or its long-polling POST body), one after another. Receivers run
in a separate greenlet per socket (:func:`drain`), so a slow receiver never
holds up pings or other clients. When a client sends faster than its
receivers run, the reading greenlet itself waits in :func:`put` until the
receivers have caught up: nothing more is read from that client's TCP
connection (or its POST stays unanswered), so TCP slows the sender down
and every event is still run, in the order it was sent. Other clients'
readers and all deliveries go on meanwhile.

The one hard limit: if the receivers make no progress at all for
``ping_interval + ping_timeout`` seconds while the client waits, the client
gets an ``error`` event ``{"error": "overloaded"}`` and is disconnected; it
is logged once and counted in the stats (``overloaded``).

The deque of a socket exists only while it has events waiting: an idle
connection pays nothing for it.
"""

import logging
from collections import deque

from realtime import conf, stats

logger = logging.getLogger("realtime")

#: A socket's reader stops reading once this many of its events wait...
HIGH_WATER = 256
#: ...and reads again once its receivers brought them down to this many.
LOW_WATER = 64


def stall_limit():
    """Seconds a reader may wait without its receivers taking one event."""
    return conf.ping_interval() + conf.ping_timeout()


def put(server, socket, item):
    """Queue ``item`` for ``socket``'s receivers; True once queued.

    Called in the client's reading greenlet, which it blocks while
    ``HIGH_WATER`` events wait (that is the backpressure). False if the
    client was disconnected instead (the receivers stalled, or it left).
    """
    inbox = socket.inbox
    if inbox is not None and len(inbox) >= HIGH_WATER:
        if not _wait_for_room(server, socket):
            return False
        inbox = socket.inbox
    if inbox is None:
        inbox = socket.inbox = deque()
    inbox.append(item)
    if not socket.draining:
        socket.draining = True
        server.start_background_task(drain, server, socket)
    return True


def _wait_for_room(server, socket):
    limit = stall_limit()
    while socket.inbox is not None and len(socket.inbox) >= HIGH_WATER:
        if not socket.connected:
            return False
        resume = socket.resume = server.eio.create_event()
        before = len(socket.inbox)
        if not resume.wait(limit) and socket.inbox is not None and len(socket.inbox) >= before:
            _overloaded(server, socket)
            return False
    socket.resume = None
    return socket.connected


def _overloaded(server, socket):
    stats.counters.overloaded += 1
    logger.warning(
        "disconnecting %s: its receivers took none of its %d waiting events in %.0f s",
        socket.sid,
        len(socket.inbox or ()),
        stall_limit(),
    )
    try:
        socket.emit("error", {"error": "overloaded", "message": "the server's receivers are stalled; reconnect later"})
    finally:
        socket.disconnect()


def drain(server, socket):
    """Run ``socket``'s waiting events in the order it sent them (its own greenlet)."""
    try:
        while True:
            inbox = socket.inbox
            if not inbox:
                break
            item = inbox.popleft()
            resume = socket.resume
            if resume is not None and len(inbox) <= LOW_WATER:
                resume.set()  # its reader may read again
            server._run_event(socket, *item)
    finally:
        socket.draining = False
        if not socket.inbox:
            socket.inbox = None  # idle: free the deque
        if socket.resume is not None:
            socket.resume.set()
