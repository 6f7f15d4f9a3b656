"""The ``/pingpong`` client-signal connection, declared Django Client Signals' way.

Served at the URL given in ``CLIENTSIGNAL_CONNECTIONS`` (a SockJS endpoint
and a Socket.IO namespace of the same name), so the page works on either
transport. Signals from browsers are *listened*; ``pinged`` is *broadcast*:
``pinged.send(...)`` from any code reaches every connected page.
"""

from pingpong.signals import ping, ping_everyone, pinged
from realtime import clientsignal


class PingPongConnection(clientsignal.SignalConnection):
    """Anyone may play: no ``on_open`` check (see ``chat`` for a room that needs a login)."""


PingPongConnection.listen("ping", ping)
PingPongConnection.listen("ping_everyone", ping_everyone)
PingPongConnection.broadcast("pinged", pinged)
