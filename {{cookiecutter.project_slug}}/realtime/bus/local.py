"""A bus between the processes of one machine, with no server to run.

``manage.py rundev`` uses it when it serves both transports: the Socket.IO
process and the SockJS process are two processes, and this lets a chat line
typed over SockJS reach Socket.IO clients without installing anything.

Each listening process binds a Unix datagram socket in one directory
(``REALTIME_LOCAL_BUS_DIR``); publishing sends the envelope's JSON, encoded
once, to every other socket there. A socket whose process died refuses the
datagram and is removed. Delivery is at-most-once, like any pub/sub; for
more than one machine use a networked bus.

Presence (who is in a room, hence the chat's nickname check) is shared by
the same processes through a small SQLite file in that directory
(:mod:`realtime.bus.localpresence`), so the development setup lists the
same members as the networked bus does in production, and the dashboard's
figures, so either process's dashboard lists both.
"""

import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from realtime import conf
from realtime.bus.base import Bus
from realtime.bus.localpresence import LocalPresence, LocalStats, SharedPresence

logger = logging.getLogger("realtime.bus")

#: Datagrams carry whole envelopes; the socket buffers must hold the largest.
BUFFER_BYTES = 4 * 1024 * 1024
#: Seconds between two writes of this process's dashboard figures.
SHARE_EVERY = 1.0


class LocalBus(Bus):
    networked = True

    def __init__(self, directory=None):
        super().__init__()
        directory = (
            directory or conf.local_bus_dir() or os.environ.get("REALTIME_LOCAL_BUS_DIR")
        )
        if not directory:
            raise ImproperlyConfigured("REALTIME_LOCAL_BUS_DIR must name a directory for the local bus's sockets.")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = None
        self._listener = None
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER_BYTES)
        self._lock = threading.Lock()
        self.shared = SharedPresence(self.directory, self.process_id)
        self.members = LocalPresence(self.shared)
        self.figures = LocalStats(self.shared, self)

    @classmethod
    def check_settings(cls):
        cls().close()

    def _peers(self):
        return [p for p in self.directory.glob("*.sock") if str(p) != self.path]

    def _publish(self, envelope):
        data = envelope.to_json().encode()
        for peer in self._peers():
            try:
                with self._lock:
                    self._sender.sendto(data, str(peer))
            except (ConnectionRefusedError, FileNotFoundError):
                logger.info("local bus: %s is gone, removing it", peer.name)
                peer.unlink(missing_ok=True)
            except OSError as exc:
                logger.warning("local bus: could not send %r to %s: %s", envelope, peer.name, exc)

    def _start(self):
        self.path = str(self.directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER_BYTES)
        listener.bind(self.path)
        listener.settimeout(SHARE_EVERY)  # wakes the loop to share this process's figures
        self._listener = listener
        self.figures.share()
        self.runtime.spawn(self._listen, listener, name="realtime-local-bus")

    def _listen(self, listener):
        """The one loop: receive datagrams; every SHARE_EVERY seconds, share the figures."""
        next_share = time.monotonic() + SHARE_EVERY
        while not self._stopping.is_set():
            try:
                data = listener.recv(BUFFER_BYTES)
            except (socket.timeout, BlockingIOError):
                data = None
            except OSError:
                return  # closed
            if data:
                self.runtime.call_soon(self.receive_data, data.decode("utf-8", "replace"))
            if time.monotonic() >= next_share:
                next_share = time.monotonic() + SHARE_EVERY
                self.figures.share()

    def close(self):
        super().close()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self.path:
            Path(self.path).unlink(missing_ok=True)
        self._sender.close()
