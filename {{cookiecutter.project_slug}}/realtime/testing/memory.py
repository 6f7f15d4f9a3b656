"""Test receivers in-process, with no server and no network.

A :class:`MemorySocket` is driven the way a transport drives a socket: its
``connect()``, ``event()`` and ``message()`` go through
:mod:`realtime.dispatch`, so receivers, acks, refusals and rooms behave as
they do live. Whatever reaches the socket, written to it directly or
delivered through the bus, is recorded in ``socket.events`` as
``(event, args)`` after a JSON round trip, as a client would decode it::

    from realtime.testing.memory import MemorySocket, memory_transport

    def test_chat_acks(db):
        with memory_transport():
            ann = MemorySocket().connect()
            assert ann.event("chat", {"text": "hi"}) == "ok"
            assert ann.got("chat") == [{"text": "hi"}]

Live servers and real clients are in :mod:`realtime.testing` too; use those
for anything a transport does (framing, origins, reconnects).
"""

import contextlib
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from realtime import delivery, dispatch
from realtime.registry import connected_sockets
from realtime.sockets import Socket

_sids = itertools.count(1)
_NO_ACK = object()


def _decoded(value: Any) -> Any:
    return json.loads(json.dumps(value))


class MemorySocket(Socket):
    """A socket whose client is the test itself.

    ``user``      the ``request.user`` receivers see (anonymous by default).
    ``endpoint``  ``"/"`` or a client-signal URL.
    """

    transport = "memory"

    def __init__(self, user: Any = None, endpoint: str = "/", sid: str | None = None, path: str = "/") -> None:
        request = RequestFactory().get(path)
        request.user = user or AnonymousUser()
        super().__init__(sid or f"mem-{next(_sids)}", request, endpoint)
        self.events: list[tuple[str, Any]] = []  # (event, args) in arrival order; plain messages as ("message", [data])
        self.closed = False

    # -- what the client does ------------------------------------------------
    def connect(self) -> "MemorySocket":
        """Run the connect receivers; raises ConnectionRefused if one refuses."""
        dispatch.connect(self)
        return self

    def event(self, name: str, *args: Any, ack: bool = True) -> Any:
        """Emit ``name`` as the client would; returns the ack's value (``None`` with ack=False).

        One ack argument is returned as itself, several as a tuple.
        """
        answers: list[Any] = []
        dispatch.event(self, name, list(args), ack=(lambda *a: answers.append(_decoded(list(a)))) if ack else None)
        if not ack:
            return None
        assert len(answers) == 1, f"expected one ack for {name!r}, got {answers!r}"
        values = answers[0]
        if not values:
            return None
        return values[0] if len(values) == 1 else tuple(values)

    def message(self, data: Any) -> None:
        """Send a plain message as the client would."""
        dispatch.message(self, data)

    def close(self) -> None:
        """The client went away."""
        dispatch.disconnect(self)

    # -- what the client received -------------------------------------------
    def got(self, name: str) -> list[Any]:
        """The values received for ``name``: one argument as itself, several as a list."""
        return [args[0] if len(args) == 1 else args for event, args in self.events if event == name]

    # -- the transport side ----------------------------------------------------
    def _write_message(self, message: Any) -> None:
        self.events.append(("message", [_decoded(message)]))

    def _write_event(self, event: str, args: tuple[Any, ...], callback: Any) -> None:
        self.events.append((event, _decoded(list(args))))

    def _close(self) -> None:
        self.closed = True
        dispatch.disconnect(self)


class MemoryAdapter(delivery.Adapter):
    """Delivers bus envelopes to :class:`MemorySocket` s; counts encodes (one per envelope)."""

    transport = "memory"

    def __init__(self) -> None:
        self.encodes = 0

    def write(self, envelope: Any, sockets: Iterable[Any]) -> None:
        self.encodes += 1
        args = json.loads(envelope.to_json())["args"]
        name = envelope.event if envelope.kind == "event" else "message"
        for socket in sockets:
            socket.events.append((name, args))


@contextlib.contextmanager
def memory_transport() -> Iterator[MemoryAdapter]:
    """Register a :class:`MemoryAdapter` for the block; disconnect every socket after it."""
    adapter = MemoryAdapter()
    delivery.register_adapter(adapter)
    try:
        yield adapter
    finally:
        delivery.unregister_adapter(adapter)
        for socket in list(connected_sockets):
            dispatch.disconnect(socket)
