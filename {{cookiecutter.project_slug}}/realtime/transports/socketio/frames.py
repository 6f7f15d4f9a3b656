"""Websocket frames on gevent-websocket, refused on their announced length.

gevent-websocket 0.10.1 reads a frame's whole payload (its header may
announce up to 2**63 bytes), unmasks it byte by byte in Python and joins
fragments without any bound, all before Engine.IO (and our guard) sees a
message: one client could take hundreds of MB and seconds of CPU from a
process serving thousands. :class:`LimitedWebSocket` reads the header
first and closes the websocket with 1009 ("message too big") when the frame,
or the fragments of one message so far, would go over
``REALTIME_MAX_MESSAGE_BYTES``, without reading that payload. It also
unmasks with one big-integer XOR and checks UTF-8 with Python's decoder,
both in C, instead of per-byte loops.

This is the one place that reaches into gevent-websocket: it relies on
``WebSocket``'s attributes (``stream``, ``raw_read``, ``utf8validator``,
``handle_ping``/``handle_close``/``close``), on ``Header.decode_header``
reading only the header, and on the handler creating ``handler.websocket``
in ``upgrade_connection``. ``realtime/tests/live/test_socketio_limits.py`` fails
loudly if any of that changes.
"""

import logging
import struct

from geventwebsocket.exceptions import ProtocolError, WebSocketError
from geventwebsocket.websocket import Header, WebSocket

from realtime import conf, stats

logger = logging.getLogger("realtime")

CLOSE_TOO_BIG = 1009  # RFC 6455 7.4.1: a message too big to process


class MessageTooBig(Exception):
    """A data frame whose announced length would put its message over the limit.

    Not a ``ProtocolError``: gevent-websocket's ``receive`` would catch that
    and close with 1002 before :meth:`LimitedWebSocket.receive` could say 1009.
    """

    def __init__(self, size, limit, fragmented):
        super().__init__(f"{size} bytes announced, limit {limit}")
        self.size, self.limit, self.fragmented = size, limit, fragmented


def unmask(payload, mask):
    """``payload`` XOR the 4-byte ``mask`` repeated (RFC 6455 5.3), as bytes.

    One XOR of two big integers, in C: under 1 ms per 64 KB, where
    gevent-websocket's loop over every byte in Python takes 20 ms or more
    (and its pure-Python UTF-8 validator as much again).
    """
    size = len(payload)
    if not size:
        return b""
    key = (bytes(mask) * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


class LimitedWebSocket(WebSocket):
    """gevent-websocket's ``WebSocket`` with a bounded, header-first frame reader.

    No new slots: :func:`adopt` turns the object gevent-websocket created
    into this class in place, so nothing else holding it (the handler, the
    WSGI environ) sees a different object.
    """

    __slots__ = ()

    def read_frame(self, limit=None, so_far=0):
        """``(header, payload)`` of the next frame.

        A data frame that would take its message (``so_far`` bytes already)
        over ``limit`` raises :class:`MessageTooBig` with its payload unread.
        """
        header = Header.decode_header(self.stream)  # reads only the header (2 to 14 bytes)
        if header.flags:
            raise ProtocolError("reserved bits set, but no extension was negotiated")
        if limit is None:
            limit = conf.max_message_bytes()
        if header.opcode <= WebSocket.OPCODE_BINARY and so_far + header.length > limit:
            # Data frames only: control frames are at most 125 bytes (decode_header checks).
            raise MessageTooBig(so_far + header.length, limit, header.opcode == WebSocket.OPCODE_CONTINUATION)
        payload = self._read_exactly(header.length)
        if header.mask:
            payload = unmask(payload, header.mask)
        return header, payload

    def _read_exactly(self, size):
        if not size:
            return b""
        try:
            payload = self.raw_read(size)
        except (OSError, ValueError, TypeError):  # reset, timeout, or already closed
            payload = b""
        if len(payload) != size:
            raise WebSocketError("Unexpected EOF reading frame payload")
        return payload

    def read_message(self):
        """The next text (str) or binary (bytes) message; None after a close frame.

        Fragments count together: each frame's announced length is checked
        against what is left of the limit before its payload is read.
        """
        limit = conf.max_message_bytes()
        opcode = None
        message = bytearray()
        while True:
            header, payload = self.read_frame(limit, len(message))
            kind = header.opcode
            if kind in (WebSocket.OPCODE_TEXT, WebSocket.OPCODE_BINARY):
                if opcode is not None:
                    raise ProtocolError(f"new message (opcode {kind}) before the last one's final fragment")
                opcode = kind
            elif kind == WebSocket.OPCODE_CONTINUATION:
                if opcode is None:
                    raise ProtocolError("continuation frame without a message to continue")
            elif kind == WebSocket.OPCODE_PING:
                self.handle_ping(header, payload)
                continue
            elif kind == WebSocket.OPCODE_PONG:
                continue
            elif kind == WebSocket.OPCODE_CLOSE:
                self.handle_close(header, payload)
                return None
            else:
                raise ProtocolError(f"unknown opcode {kind}")
            message += payload
            if header.fin:
                break
        if opcode == WebSocket.OPCODE_BINARY:
            return bytes(message)
        try:
            return message.decode("utf-8")  # strict: rejects what RFC 6455 calls invalid UTF-8
        except UnicodeDecodeError:
            self.close(1007)
            raise

    def receive(self):
        """As gevent-websocket's, plus: a message over the limit closes with 1009."""
        peer = (self.environ or {}).get("REMOTE_ADDR", "?")
        try:
            return super().receive()
        except MessageTooBig as too_big:
            stats.counters.dropped += 1
            what = "fragmented message of at least" if too_big.fragmented else "frame of"
            logger.warning(
                "closing websocket from %s: %s %d bytes is over REALTIME_MAX_MESSAGE_BYTES (%d)",
                peer,
                what,
                too_big.size,
                too_big.limit,
            )
            self.close(CLOSE_TOO_BIG, "message too big")
            return None

    def close(self, code=1000, message=b""):
        """Send a close frame that carries ``code``, then drop the stream.

        gevent-websocket's ``close`` puts only the reason in the frame, never
        the code: clients would read the reason's first two bytes as one.
        """
        if self.closed:
            return
        reason = message.encode("utf-8") if isinstance(message, str) else bytes(message or b"")
        try:
            self.send_frame(struct.pack("!H", code) + reason[:123], WebSocket.OPCODE_CLOSE)
        except OSError:  # WebSocketError included: the peer is gone, nothing to tell it
            pass
        finally:
            self.closed = True
            self.stream = self.raw_write = self.raw_read = self.environ = None


def adopt(websocket):
    """Make the ``WebSocket`` gevent-websocket just created a :class:`LimitedWebSocket`.

    Called right after the upgrade, before anything is read from it.
    """
    if type(websocket) is not WebSocket:
        raise TypeError(
            f"expected gevent-websocket's WebSocket, got {type(websocket).__name__}: "
            "gevent-websocket changed; update realtime/transports/socketio/frames.py"
        )
    websocket.__class__ = LimitedWebSocket
    return websocket
