"""Websocket frames are checked before Engine.IO parses them.

Engine.IO reads each websocket frame and parses it without a ``try``; a
frame that is not an Engine.IO packet would end the connection with a
traceback, and an unknown packet type is ignored silently. This wrapper of
engineio's gevent-websocket driver (gevent-websocket's handler, not
simple-websocket's, which writes an HTTP 500 page into an open websocket
when a handler raises) closes the connection on such a frame, as the
protocol says, with one log line; and closes a connection whose frame is
over ``REALTIME_MAX_MESSAGE_BYTES``. The same checks serve long-polling POST
bodies (:mod:`.wsgi`). :func:`too_deep` bounds how deeply an event's data nests.
"""

import base64
import logging

from engineio.async_drivers.gevent import WebSocketWSGI

from realtime import conf, stats

logger = logging.getLogger("realtime")

#: Engine.IO packet types a client may send: CLOSE, PING (upgrade probe),
#: PONG, MESSAGE, UPGRADE, NOOP.
CLIENT_TYPES = frozenset({"1", "2", "3", "4", "5", "6"})
#: Over long-polling Engine.IO handles only CLOSE, PONG, MESSAGE and UPGRADE;
#: any other type there makes it close the session and hold the request.
POLLING_TYPES = frozenset({"1", "3", "4", "5"})


def packet_problem(packet, types=CLIENT_TYPES):
    """Why a client's Engine.IO packet (a websocket frame) is malformed, or None."""
    if isinstance(packet, (bytes, bytearray)):
        return None  # a binary attachment: Engine.IO takes bytes as a MESSAGE
    if not packet:
        return "empty frame"
    if packet[0] == "b":  # base64 binary (the polling form)
        try:
            base64.b64decode(packet[1:], validate=True)
        except ValueError:
            return "bad base64"
        return None
    if packet[0] not in types:
        return f"unknown packet type {packet[0]!r}"
    return None  # Engine.IO takes any payload after a valid type


def payload_problem(body):
    """Why a long-polling POST body (packets joined by U+001E) is malformed, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    for packet in text.split("\x1e"):
        problem = packet_problem(packet, POLLING_TYPES)
        if problem is not None:
            return problem
    return None


class GuardedWebSocket(WebSocketWSGI):
    def __init__(self, handler, server):
        super().__init__(handler, server)
        self.max_bytes = conf.max_message_bytes()

    def wait(self):
        """The next valid frame, or None when the connection is to end."""
        frame = super().wait()
        if frame is None:
            return None
        if len(frame) > self.max_bytes:
            stats.counters.dropped += 1
            logger.warning(
                "closing websocket from %s: frame of %d bytes is over REALTIME_MAX_MESSAGE_BYTES (%d)",
                self._peer(),
                len(frame),
                self.max_bytes,
            )
            return None
        problem = packet_problem(frame)
        if problem is None:
            return frame
        stats.counters.dropped += 1
        logger.warning(
            "closing websocket from %s: malformed Engine.IO frame: %s (%.60r)", self._peer(), problem, frame
        )
        return None

    def _peer(self):
        return self.environ.get("REMOTE_ADDR", "?")


#: Deepest nesting of lists and objects an event's data may have (the event's list counts).
#: json decodes about 1,000 levels, but python-socketio's binary check takes two stack frames
#: per level when an ack or an emit sends the data back: echoing 500 levels raised
#: RecursionError with a traceback (found by ``test_socketio_fuzz``). No message needs 100.
MAX_DEPTH = 100


def too_deep(value, limit=MAX_DEPTH):
    """True if ``value`` nests lists/dicts more than ``limit`` levels (no recursion, stops early)."""
    if not isinstance(value, (list, dict)):
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False
