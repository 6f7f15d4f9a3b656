"""What a bus backend needs from the server it runs in, as one small object.

A socket process runs either gevent (``rungevent``) or a tornado loop
(``runsocket``). A backend writes ONE listen loop, as plain blocking code,
and lets the runtime place it:

* :meth:`Runtime.spawn` runs the loop concurrently: a greenlet under gevent
  (threads are greenlets once gevent has patched), a daemon thread next to a
  tornado loop, a thread in tests and plain processes;
* :meth:`Runtime.call_soon` hands what the loop received to where sockets are
  served, from any thread: directly under gevent and in threads, through
  ``IOLoop.add_callback`` under tornado (so delivery keeps the loop's order);
* :meth:`Runtime.event` makes the loop's stop flag, which also serves as its
  sleep (``event.wait(seconds)``), of the right kind for that runtime.

Why not an asyncio client on the tornado loop: it meant a second copy of
every listen loop; a blocking read in a thread costs one thread per process.
"""

import logging
import threading

logger = logging.getLogger("realtime.bus")


class Runtime:
    """Threads: plain processes, tests, and the base of the others."""

    name = "thread"

    def spawn(self, func, *args, name="realtime-bus"):
        thread = threading.Thread(target=func, args=args, name=name, daemon=True)
        thread.start()
        return thread

    def call_soon(self, func, *args):
        """Run ``func(*args)`` where this process delivers to sockets (here: now, in the caller)."""
        func(*args)

    def event(self):
        """A stop flag; ``wait(seconds)`` is the loop's sleep. Made when a loop starts, after
        gevent has patched (a native Event would block the hub)."""
        return threading.Event()


class GeventRuntime(Runtime):
    """``rungevent``: threading is gevent's, so spawned loops are greenlets."""

    name = "gevent"

    def __init__(self):
        if not _gevent_patched():
            logger.warning(
                "the bus was started for gevent, but gevent has not patched threading and socket: "
                "its loop runs in a real thread (patch first, as manage.py rungevent does)"
            )


class TornadoRuntime(Runtime):
    """``runsocket``: the loop blocks in a thread; what it receives runs on the IOLoop."""

    name = "tornado"

    def __init__(self, io_loop=None):
        from tornado.ioloop import IOLoop

        self.io_loop = io_loop or IOLoop.current()

    def call_soon(self, func, *args):
        self.io_loop.add_callback(func, *args)


def get_runtime(runtime="thread", io_loop=None):
    """A :class:`Runtime` from one, or from its name: ``"gevent"``, ``"tornado"`` or ``"thread"``."""
    if isinstance(runtime, Runtime):
        return runtime
    if runtime == "gevent":
        return GeventRuntime()
    if runtime == "tornado":
        return TornadoRuntime(io_loop)
    if runtime == "thread":
        return Runtime()
    raise ValueError(f"runtime must be 'gevent', 'tornado' or 'thread', not {runtime!r}")


def _gevent_patched():
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading") and monkey.is_module_patched("socket")
