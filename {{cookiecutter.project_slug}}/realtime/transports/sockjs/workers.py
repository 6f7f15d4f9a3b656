"""Receivers run here: off the tornado loop, in order per socket.

Django's ORM is synchronous; called on the loop it would raise
``SynchronousOnlyOperation`` (or stall every connection while a query
runs). So each socket gets a :class:`SerialQueue` over one shared thread
pool: its connect, events and disconnect run one after another in a worker
thread, in the order they arrived, while other sockets' work runs in
parallel. Each task starts and ends with ``close_old_connections()`` so a
worker thread never keeps a stale or broken database connection.

``REALTIME_SOCKJS_WORKERS`` sets the pool size (default 8).
"""

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections

from realtime import conf

logger = logging.getLogger("realtime")

#: A socket's reader stops reading once this many of its tasks wait, and
#: reads again at LOW_WATER (see :meth:`SerialQueue.room`): backpressure
#: instead of a cut-off. Every way in waits for room: a websocket (and the raw
#: one) is not read while tornado awaits ``on_message``'s future; an
#: ``xhr_send``/``jsonp_send`` POST is not processed (so not answered, and a
#: SockJS client sends one at a time) until there is room. So a queue holds
#: at most HIGH_WATER tasks plus one frame's or one POST's messages, and a
#: frame or POST is bounded by ``REALTIME_MAX_MESSAGE_BYTES``.
HIGH_WATER = 256
LOW_WATER = 64

_pool = None
_pool_lock = threading.Lock()


def pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            size = conf.sockjs_workers()
            _pool = ThreadPoolExecutor(max(1, size), thread_name_prefix="realtime-sockjs")
        return _pool


def shutdown(wait=False):
    global _pool
    with _pool_lock:
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=wait, cancel_futures=not wait)


def _run(fn, args):
    close_old_connections()
    try:
        fn(*args)
    except Exception:
        logger.exception("sockjs worker task %s failed", getattr(fn, "__qualname__", fn))
    finally:
        close_old_connections()


class SerialQueue:
    """Run one socket's tasks in a worker thread, one at a time, in order."""

    __slots__ = ("_tasks", "_lock", "_running", "_waiters")

    def __init__(self):
        # The deque (about 600 bytes) exists only while tasks wait: an idle socket pays nothing.
        self._tasks = None
        self._lock = threading.Lock()
        self._running = False
        self._waiters = None  # [(asyncio future, its loop)] while readers wait for room

    def room(self):
        """On the IOLoop: None, or a future that resolves once the queue is down to LOW_WATER.

        Tornado's websocket handler awaits what ``on_message`` returns before
        it reads the next frame, and the send handlers await it before they
        take a POST's messages: returning this future stops reading.
        """
        import asyncio

        with self._lock:
            if self._tasks is None or len(self._tasks) < HIGH_WATER:
                return None
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append((future, loop))
            return future

    def _wake_readers(self):
        waiters, self._waiters = self._waiters, None
        for future, loop in waiters or ():
            loop.call_soon_threadsafe(_resolve, future)

    @property
    def idle(self):
        """Nothing queued or running: every ack it wrote is already on its way to the loop."""
        with self._lock:
            return not self._running and not self._tasks

    def submit(self, fn, *args):
        """Queue ``fn(*args)`` (never refused: the readers wait for room, see :meth:`room`)."""
        with self._lock:
            if self._tasks is None:
                self._tasks = deque()
            self._tasks.append((fn, args))
            if self._running:
                return
            self._running = True
        pool().submit(self._step)

    def _step(self):
        with self._lock:
            fn, args = self._tasks.popleft()
            if self._waiters is not None and len(self._tasks) <= LOW_WATER:
                self._wake_readers()
        _run(fn, args)
        with self._lock:
            if not self._tasks:
                self._tasks = None
                self._running = False
                if self._waiters is not None:
                    self._wake_readers()
                return
        # one task per turn, so a busy socket cannot starve the others
        pool().submit(self._step)


def _resolve(future):
    if not future.done():
        future.set_result(None)
