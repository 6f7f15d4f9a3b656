"""The :class:`Event` a ``socket_client_event`` receiver gets."""

import threading
from collections.abc import Callable, Iterable
from typing import Any

from realtime import bus
from realtime.exceptions import AlreadyAcknowledged


class Event:
    """An event a client emitted: ``socket.emit('chat', {'text': 'hi'}, ack)``.

    ``name``
        the event name (``'chat'``).
    ``args``
        every argument, as a tuple.
    ``data``
        django-realtime's shape: the single argument when there is one, ``None``
        when there are none, the list of arguments otherwise.

    If the client asked for an acknowledgement, call ``ack(*params)`` once,
    or return a value from the receiver: a receiver's return value is sent
    as the ack unless some receiver already acked (a tuple is sent as
    several arguments). ``ack()`` on an event that is not acknowledgeable
    does nothing and returns ``False``, so receivers need not check first.
    """

    def __init__(self, name: str, args: Iterable[Any] = (), ack: Callable[..., Any] | None = None) -> None:
        self.name = name
        self.args = tuple(args)
        self._ack = ack
        self._acked = False
        self._lock = threading.Lock()

    @property
    def data(self) -> Any:
        if not self.args:
            return None
        if len(self.args) == 1:
            return self.args[0]
        return list(self.args)

    def acknowledgeable(self) -> bool:
        """True if the client is waiting for an acknowledgement."""
        return self._ack is not None

    def acknowledged(self) -> bool:
        """True once an acknowledgement was sent."""
        return self._acked

    def ack(self, *params: Any) -> bool:
        """Send the acknowledgement, with ``params`` as its arguments."""
        if self._ack is None:
            return False
        with self._lock:
            if self._acked:
                raise AlreadyAcknowledged(f"event {self.name!r} was already acknowledged")
            self._acked = True
        # What the receivers published leaves this process before the client
        # hears its event was handled (a kill -9 right after loses nothing acked).
        bus.get_bus().wait_sent()
        self._ack(*params)
        return True

    def __repr__(self) -> str:
        return f"<Event {self.name!r} args={self.args!r}>"
