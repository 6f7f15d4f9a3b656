"""Outbound: hand an envelope to this process's sockets.

Each transport running in this process registers an adapter. When an
envelope arrives (from this process, or from another one over the bus),
every adapter picks its own sockets from ``connected_sockets`` and writes
the frame it encoded once for all of them.
"""

import logging

from realtime import control, stats
from realtime.registry import connected_sockets

logger = logging.getLogger("realtime.delivery")

_adapters = []


class Adapter:
    """What a transport gives the core: one method, ``write(envelope, sockets)``.

    ``write`` receives only the sockets of this adapter's transport; it must
    encode the frame once and may be called from any thread.
    """

    transport: str | None = None

    def write(self, envelope, sockets):
        raise NotImplementedError


def register_adapter(adapter):
    """Called by a transport when its server starts in this process."""
    if adapter not in _adapters:
        _adapters.append(adapter)


def unregister_adapter(adapter):
    if adapter in _adapters:
        _adapters.remove(adapter)


def adapters():
    return list(_adapters)


def deliver(envelope):
    """Write ``envelope`` to the local sockets it addresses; returns how many."""
    if envelope.kind == "control":  # not for clients: this process acts on its sockets
        return control.handle(envelope)
    sockets = connected_sockets.select(envelope.endpoint, room=envelope.room, to=envelope.to, skip=envelope.skip)
    if not sockets:
        return 0
    delivered = 0
    for adapter in _adapters:
        mine = [s for s in sockets if s.transport == adapter.transport]
        if not mine:
            continue
        try:
            adapter.write(envelope, mine)
            delivered += len(mine)
        except Exception:
            logger.exception("%s adapter failed to deliver %r", adapter.transport, envelope)
    stats.counters.messages_out += delivered
    return delivered
