"""One prepared frame per message, written straight to each websocket client.

python-engineio gives every websocket client a writer greenlet and a queue:
a broadcast to 1,000 clients costs 1,000 queue puts, 1,000 greenlet
wake-ups and hub switches, and 1,000 frame encodings by gevent-websocket.
Here the websocket frame (header and payload) is built once per message and
written to each client's TCP socket without blocking (frames of one burst
together, see :func:`write`); only a client whose socket cannot take them
right now (or that still has frames queued) falls back to its queue, in
order. Long-polling clients always use the queue.

With gevent there is no writer greenlet per websocket client either
(:func:`use_lazy_writers`): Engine.IO parks one per client in ``queue.get``
for the connection's life (its greenlet, saved stack and closure, about 6 KB
of every idle connection). Here a client's queue starts a short-lived
writer only when something is put on it, which sends what waits and ends.

Reach-ins into the libraries are in :mod:`.compat` and :mod:`.pywsgi_compat`.
"""

import logging
import socket as _socket
import struct

import gevent
from engineio import exceptions as eio_exceptions
from gevent.queue import JoinableQueue

from realtime import outbox
from realtime.transports.socketio import compat, pywsgi_compat
from realtime.transports.socketio.guard import GuardedWebSocket

logger = logging.getLogger("realtime")


def websocket_text_frame(text):
    """A complete, unmasked, final websocket text frame (RFC 6455 5.2) for ``text``."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class _Wire(bytes):
    """Bytes already framed for the wire: written as they are."""

    __slots__ = ()


class RestOfFrame(compat.Packet):
    """What a non-blocking write left over: the client's writer sends it next, as is."""

    def __init__(self, rest):
        super().__init__(compat.MESSAGE, data="")
        self.rest = _Wire(rest)

    def encode(self, b64=False):
        return self.rest


class DirectWebSocket(GuardedWebSocket):
    """Engine.IO's websocket driver (with the frame guard) that also takes direct writes."""

    def __call__(self, environ, start_response):
        self.busy = False  # the client's writer is inside a write (it may have yielded)
        self.raw = None
        self.pending = None  # frames buffered for this turn's flush
        self.eio_socket = compat.engineio_socket_of(self.app)
        websocket = environ.get("wsgi.websocket")
        lazy = False
        if websocket is not None and self.eio_socket is not None:
            lazy = isinstance(self.eio_socket.queue, WakingQueue)
            if lazy:  # the writer engineio starts in this greenlet is a LazyWriter
                _starting[gevent.getcurrent()] = self
            self.raw = pywsgi_compat.tcp_socket(websocket)
            try:
                # Small frames go out at once: Nagle would hold one back until the
                # previous one is acknowledged (tens of ms with delayed ACKs).
                self.raw.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            except OSError:
                pass
            compat.attach(self.eio_socket, self)
        try:
            return super().__call__(environ, start_response)
        finally:
            if lazy:
                _starting.pop(gevent.getcurrent(), None)
            self.raw = None
            if self.eio_socket is not None:
                compat.detach(self.eio_socket, self)

    def send(self, message):
        """The client's writer greenlet: a queued packet, or the rest of a direct write."""
        self.busy = True
        try:
            if type(message) is _Wire:
                raw = self.raw
                if raw is None:
                    raise OSError("websocket closed")
                raw.sendall(message)
            else:
                super().send(message)
        finally:
            self.busy = False

    def close(self):
        self.raw = None  # the writer is done: no more direct writes
        return super().close()

    def take(self, frame):
        """Buffer ``frame`` for this turn's flush; False to use the client's queue instead.

        Only while nothing is queued and the writer is idle: everything sent
        before has then reached the kernel, so the frame keeps its place.
        """
        pending = self.pending
        if pending is not None:
            pending.append(frame)
            return True
        if self.raw is None or self.busy or not compat.writable_now(self.eio_socket):
            return False
        self.pending = [frame]
        _dirty.append(self)
        return True

    def flush(self):
        """Write the buffered frames with one non-blocking send; queue what is left, first."""
        pending, self.pending = self.pending, None
        raw = self.raw
        if not pending or raw is None:
            return  # closed meanwhile: as a queue would, drop what the client can no longer get
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        if self.busy or self.eio_socket.queue.qsize():
            compat.enqueue_first(self.eio_socket, RestOfFrame(data))  # queued since: ours are older
            return
        try:
            sent = raw.send(data, 0, 0.0)  # gevent: timeout 0.0 never waits
        except BlockingIOError:
            sent = 0
        except OSError:
            return  # the connection broke: its reader ends it
        if sent < len(data):
            compat.enqueue_first(self.eio_socket, RestOfFrame(data[sent:]))


#: Clients with frames buffered in this turn of the loop, and how many messages were.
_dirty = []
_batch = {"messages": 0, "scheduled": False}
#: A burst flushes at least every this many messages (latency stays bounded).
FLUSH_EVERY = 32


def flush():
    """Send every buffered frame: one system call per client for the whole batch."""
    _batch["messages"] = 0
    _batch["scheduled"] = False
    while _dirty:
        batch = _dirty[:]
        del _dirty[:]
        for direct in batch:
            try:
                direct.flush()
            except Exception:  # one client's failure must not stop the others
                logger.exception("writing to a websocket client failed")


def write(server, sockets, frames):
    """Write Engine.IO ``frames`` (encoded text packets) to ``sockets``: directly where possible.

    Websocket frames are built once; each websocket client's copy is
    buffered and sent when the running greenlet yields (or every
    ``FLUSH_EVERY`` messages of a burst), so a burst costs one system call
    per client rather than one per message, and no greenlet switch.
    """
    eio = server.eio
    send = eio.send_packet
    if len(frames) == 1:
        wire = websocket_text_frame(frames[0].encode())
    else:
        wire = b"".join(websocket_text_frame(f.encode()) for f in frames)
    for socket in sockets:
        direct = socket.direct
        if direct is None or direct.raw is None:
            direct = socket.direct = compat.direct_of(eio, socket.eio_sid)
        if direct is not None and direct.take(wire):
            continue
        for frame in frames:
            send(socket.eio_sid, frame)
        outbox.socketio_backlog(eio, socket, len(wire) // len(frames))  # a client that never reads
    if _dirty:
        _batch["messages"] += 1
        if _batch["messages"] >= FLUSH_EVERY:
            flush()
        elif not _batch["scheduled"]:
            _batch["scheduled"] = True
            pywsgi_compat.call_soon(flush)


# -- writers on demand (gevent) ------------------------------------------------------


class WakingQueue(JoinableQueue):
    """Engine.IO's outgoing queue that calls ``wake()`` after each put (when a writer is lazy)."""

    __slots__ = ("wake",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wake = None

    def put(self, item, block=True, timeout=None):
        super().put(item, block, timeout)
        wake = self.wake
        if wake is not None:
            wake()


class LazyWriter:
    """Engine.IO's websocket writer, run only while the client's queue has packets.

    It sends what :meth:`~.compat.EngineIOSocket.poll` returns, as
    engineio's writer does, and ends when the queue is empty; the next put
    starts it again. ``None`` on the queue (the connection ends) closes the
    websocket, as a failed send does. ``join`` is what engineio waits on.
    """

    __slots__ = ("direct", "greenlet", "done")

    def __init__(self, direct):
        self.direct = direct
        self.greenlet = None
        self.done = False

    def wake(self):  # any greenlet, or the hub (timer pings): spawning never blocks
        if self.greenlet is None and not self.done:
            self.greenlet = gevent.spawn(self._drain)

    def _drain(self):
        direct = self.direct
        eio_socket = direct.eio_socket
        try:
            while not self.done and eio_socket.queue.qsize():
                try:
                    packets = eio_socket.poll()
                except eio_exceptions.QueueEmpty:
                    break  # only the upgrade's NOOP was there
                if not packets:  # None: the connection ends
                    self.done = True
                    break
                for pkt in packets:
                    direct.send(pkt.encode())
        except Exception:  # the client is gone: engineio's writer ends here too
            self.done = True
        finally:
            self.greenlet = None
            if self.done:
                eio_socket.queue.wake = None
                direct.close()

    def join(self, timeout=None):
        while self.greenlet is not None:
            self.greenlet.join(timeout)


#: greenlet running a DirectWebSocket (until engineio asks it for its writer) -> that DirectWebSocket
_starting = {}


def use_lazy_writers(eio):
    """Websocket clients of ``eio`` (a gevent Engine.IO server) get a :class:`LazyWriter`."""
    eio._async = dict(eio._async, queue=WakingQueue)
    start = eio.start_background_task

    def start_background_task(target, *args, **kwargs):
        direct = _starting.pop(gevent.getcurrent(), None) if getattr(target, "__name__", "") == "writer" else None
        if direct is None:
            return start(target, *args, **kwargs)
        writer = LazyWriter(direct)
        queue = direct.eio_socket.queue
        queue.wake = writer.wake
        if queue.qsize():
            writer.wake()
        return writer

    eio.start_background_task = start_background_task
