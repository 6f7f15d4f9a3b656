"""The bus: how an envelope reaches sockets in every process.

``publish(envelope)`` delivers to this process's sockets at once and, with
a networked backend, to every other process that shares it. The backend is
``REALTIME_BUS_BACKEND`` (a dotted class path, built with no arguments),
chosen the first time it is needed; unset, it is
:class:`~realtime.bus.memory.MemoryBus`: one process, nothing to run.
"""

import threading

from realtime import conf

_bus = None
_lock = threading.Lock()


def get_bus():
    """The bus of this process, created on first use."""
    global _bus
    if _bus is None:
        with _lock:
            if _bus is None:
                _bus = _create_bus()
    return _bus


def _create_bus():
    backend = conf.bus_backend()
    if backend is None:
        from realtime.bus.memory import MemoryBus

        return MemoryBus()
    return backend()


def set_bus(bus):
    """Replace this process's bus (tests, or a custom backend); returns the old one."""
    global _bus
    with _lock:
        old, _bus = _bus, bus
    return old


def publish(envelope):
    """Deliver ``envelope`` here and, through the bus, in every other process."""
    get_bus().publish(envelope)
