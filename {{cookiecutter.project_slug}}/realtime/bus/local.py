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
same members as the networked bus does in production.
"""

import logging
import os
import socket
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from realtime.bus.base import Bus
from realtime.bus.localpresence import SharedPresence
from realtime.envelope import Envelope
from realtime.presence import describe
from realtime.exceptions import BadEnvelope

logger = logging.getLogger("realtime.bus")

#: Datagrams carry whole envelopes; the socket buffers must hold the largest.
BUFFER_BYTES = 4 * 1024 * 1024


class LocalBus(Bus):
    networked = True

    def __init__(self, directory=None):
        super().__init__()
        directory = (
            directory or getattr(settings, "REALTIME_LOCAL_BUS_DIR", None) or os.environ.get("REALTIME_LOCAL_BUS_DIR")
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

    @classmethod
    def check_settings(cls):
        cls().close()

    def _peers(self):
        return [p for p in self.directory.glob("*.sock") if str(p) != self.path]

    def _publish_remote(self, envelope):
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

    def start(self, runtime="gevent", io_loop=None, **options):
        """Listen for other processes' envelopes: a greenlet, a thread or the tornado loop."""
        if self._listener is not None:
            return
        self.path = str(self.directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER_BYTES)
        listener.bind(self.path)
        self._listener = listener
        if runtime == "tornado":
            from tornado.ioloop import IOLoop

            listener.setblocking(False)
            (io_loop or IOLoop.current()).add_handler(listener.fileno(), self._drain, IOLoop.READ)
        elif runtime == "gevent":
            import gevent

            gevent.spawn(self._serve)
        else:
            threading.Thread(target=self._serve, name="realtime-local-bus", daemon=True).start()

    def _serve(self):
        while self._listener is not None:
            try:
                data = self._listener.recv(BUFFER_BYTES)
            except OSError:
                return
            self._handle(data)

    def _drain(self, fd, events):
        while True:
            try:
                data = self._listener.recv(BUFFER_BYTES)
            except (BlockingIOError, OSError):
                return
            self._handle(data)

    def _handle(self, data):
        try:
            envelope = Envelope.from_json(data.decode("utf-8", "replace"))
        except BadEnvelope as exc:
            logger.warning("local bus: dropped a bad envelope: %s", exc)
            return
        self.receive(envelope)

    # -- presence: this process's members from memory, the others' from the shared file --
    def joined(self, socket, room):
        self.shared.write(socket.endpoint, room, socket.sid, describe(socket, self.process_id))

    def left(self, socket, room):
        self.shared.remove(socket.endpoint, room, socket.sid)

    def update_member(self, socket):
        for room in socket.rooms:
            self.joined(socket, room)

    def presence(self, room, endpoint="/"):
        return super().presence(room, endpoint) + self.shared.others(room, endpoint)

    def close(self):
        self.shared.close()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self.path:
            Path(self.path).unlink(missing_ok=True)
        self._sender.close()
