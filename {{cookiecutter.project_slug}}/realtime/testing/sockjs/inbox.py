"""What a :class:`~.client.SockJSTestClient` received, kept per event until a test asks for it.

Kept apart from :mod:`.frames`, which fills it from the reader thread: this
is the test's side (``receive`` waits with a deadline, ``received`` gives the
whole history), the part of the client a test calls most.
"""

import threading
import time
from collections import defaultdict, deque
from typing import Any


def _value(args: tuple[Any, ...] | list[Any]) -> Any:
    """The Socket.IO test client's rule: no argument gives None, one gives it, several a list."""
    if not args:
        return None
    return args[0] if len(args) == 1 else list(args)


class Inbox:
    """Per-event queues (what ``receive`` takes) and history (what ``received`` shows).

    Plain messages are kept under ``"\\0message"`` and frames that are not our
    framing under ``"\\0raw"``: names no event can have.
    """

    timeout: float
    _history: defaultdict[Any, list[Any]]
    _queues: defaultdict[Any, deque[Any]]
    _cond: threading.Condition

    def receive(self, event: str, timeout: float | None = None) -> Any:
        """The next value of ``event`` (waiting up to ``timeout`` seconds)."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        with self._cond:
            while not self._queues[event]:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {event!r} within {wait}s")
                self._cond.wait(left)
            return self._queues[event].popleft()

    receive_signal = receive

    def receive_message(self, timeout: float | None = None) -> Any:
        """The next plain message."""
        return self.receive("\0message", timeout)

    def receive_raw(self, timeout: float | None = None) -> Any:
        """The next SockJS message that is not one of our frames, as text."""
        return self.receive("\0raw", timeout)

    def received(self, event: str) -> list[Any]:
        with self._cond:
            return list(self._history[event])

    def assert_nothing(self, event: str, within: float = 0.3) -> None:
        time.sleep(within)
        with self._cond:
            pending = list(self._queues[event])
        assert not pending, f"unexpected {event!r}: {pending!r}"

    def _push(self, event: Any, value: Any) -> None:
        with self._cond:
            self._history[event].append(value)
            self._queues[event].append(value)
            self._cond.notify_all()
