"""The example of "Add a bus backend" (the project README): fan-out over UDP to a fixed list of peers.

Real code, run by the contract suite (``test_bus_contract.py``) like every
backend. Each socket process listens on its own address; publishing sends the
envelope's JSON, encoded once, to every other peer. Like any pub/sub it is
at-most-once, and a datagram caps an envelope at about 64 KB. Presence and
stats are the base parts (this process's own): sharing them is what
:mod:`realtime.bus.localpresence` shows.

Settings::

    REALTIME_BUS_BACKEND = "realtime.tests.live.example_bus.UDPBus"
    UDP_BUS_PEERS = ["10.0.0.1:9500", "10.0.0.2:9500"]  # every socket process
    UDP_BUS_ADDRESS = "10.0.0.1:9500"                    # this one's (socket processes)
"""

import logging
import socket
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from realtime.bus.base import Bus

logger = logging.getLogger("realtime.bus")


def address(text, name):
    host, _, port = str(text).rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured(f"{name}: {text!r} is not host:port, e.g. 127.0.0.1:9500.")
    return host, int(port)


class UDPBus(Bus):
    networked = True  # envelopes reach other processes (the dashboard says so)

    def __init__(self):
        super().__init__()
        peers = getattr(settings, "UDP_BUS_PEERS", None) or []
        self.peers = [address(p, "UDP_BUS_PEERS") for p in peers]
        mine = getattr(settings, "UDP_BUS_ADDRESS", None)
        self.address = address(mine, "UDP_BUS_ADDRESS") if mine else None
        self._sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._listener = self._task = None

    def _publish(self, envelope):
        """The fan-out hook: one encode, one datagram per other peer (their own echo is skipped anyway)."""
        data = envelope.to_json().encode()
        for peer in self.peers:
            if peer != self.address:
                try:
                    self._sender.sendto(data, peer)
                except OSError as exc:
                    logger.warning("UDP bus: could not send to %s:%s: %s", *peer, exc)

    def _start(self):
        """Socket processes: bind this process's address, then run the one listen loop."""
        if self.address is None:
            raise ImproperlyConfigured("UDP_BUS_ADDRESS must name this socket process's host:port.")
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._listener.bind(self.address)
        self._listener.settimeout(1.0)  # wakes up to see whether the bus was closed
        self._task = self.runtime.spawn(self._listen)

    def _listen(self):
        """Receive datagrams; hand each to the runtime, which delivers where sockets are served."""
        while not self._stopping.is_set():
            try:
                data = self._listener.recv(65535)
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            self.runtime.call_soon(self.receive_data, data)

    def close(self):
        super().close()  # sets the stop flag: the loop ends within its 1 s timeout
        if self._task is not None and self._task is not threading.current_thread():
            self._task.join(3)  # then the port is free for a restarted process
        if self._listener is not None:
            self._listener.close()
        self._sender.close()
