"""A broadcast client signal for the live bus tests (imported by the live servers).

The servers of ``test_redis_live`` serve ``BusSignalConnection`` at
``SIGNAL_URL``; this module imports nothing heavy, so a ``rungevent`` child
can import it before or after gevent patches.
"""

from django.dispatch import Signal

from realtime import clientsignal

#: Broadcast: ``bus_signal.send(sender=None, **data)`` from any process.
bus_signal = Signal()
SIGNAL_URL = "/redis-bus-signal"


class BusSignalConnection(clientsignal.SignalConnection):
    """``bus_signal.send(...)`` from any process reaches every client of SIGNAL_URL."""


BusSignalConnection.broadcast("bus_signal", bus_signal)
