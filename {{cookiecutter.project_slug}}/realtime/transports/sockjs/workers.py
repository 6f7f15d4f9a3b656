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

#: Tasks a socket may have waiting; a client flooding faster than its
#: receivers run is cut off here instead of growing memory without bound.
MAX_PENDING = 1000
#: Over a websocket the reader stops reading once this many tasks wait, and
#: reads again at LOW_WATER (see :meth:`SerialQueue.room`): backpressure, so
#: a websocket client never reaches MAX_PENDING.
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

    __slots__ = ("_tasks", "_lock", "_running", "pending_limit", "_waiter")

    def __init__(self, pending_limit=MAX_PENDING):
        self._tasks = deque()
        self._lock = threading.Lock()
        self._running = False
        self.pending_limit = pending_limit
        self._waiter = None  # (asyncio future, its loop) while the reader waits for room

    def room(self):
        """On the IOLoop: None, or a future that resolves once the queue is down to LOW_WATER.

        Tornado's websocket handler awaits what ``on_message`` returns before
        it reads the next frame, so returning this future stops reading.
        """
        import asyncio

        with self._lock:
            if len(self._tasks) < HIGH_WATER:
                return None
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            self._waiter = (future, loop)
            return future

    def _wake_reader(self):
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            future, loop = waiter
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(None))

    @property
    def idle(self):
        """Nothing queued or running: every ack it wrote is already on its way to the loop."""
        with self._lock:
            return not self._running and not self._tasks

    def submit(self, fn, *args, force=False):
        """Queue ``fn(*args)``; False if the queue is full (``force`` ignores the limit)."""
        with self._lock:
            if not force and len(self._tasks) >= self.pending_limit:
                return False
            self._tasks.append((fn, args))
            if self._running:
                return True
            self._running = True
        pool().submit(self._step)
        return True

    def _step(self):
        with self._lock:
            fn, args = self._tasks.popleft()
            if self._waiter is not None and len(self._tasks) <= LOW_WATER:
                self._wake_reader()
        _run(fn, args)
        with self._lock:
            if not self._tasks:
                self._running = False
                return
        # one task per turn, so a busy socket cannot starve the others
        pool().submit(self._step)
