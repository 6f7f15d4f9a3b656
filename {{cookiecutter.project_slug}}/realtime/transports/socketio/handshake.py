"""The Socket.IO connect handshake, as the protocol documents it.

python-socketio runs a namespace's connect handler before it sends the
CONNECT packet, so whatever the handler emits (a ``socket_connected``
receiver greeting the client, a client signal's ``on_open``) reaches the
client first; socket.io-client buffers it, stricter clients drop it. Here a
socket's writes are held while its connect runs and sent right after
python-socketio has queued CONNECT (or dropped, when the connect is refused).

It also closes an Engine.IO session that joins no namespace within
``REALTIME_CONNECT_TIMEOUT`` seconds, as the Node server's ``connectTimeout``.
That deadline is a bare event-loop timer, stopped when the CONNECT arrives: a
greenlet waiting for it would hold about 3 KB per connection for the whole
timeout (the benchmark's idle clients all hold one); a greenlet is spawned
only for a session that did miss it.
"""

import functools
import logging

import gevent

from realtime.limits import PendingSessions
from realtime.transports.socketio import compat

logger = logging.getLogger("realtime")


class HandshakeMixin:
    """Mixed into :class:`~.server.RealtimeSocketIOServer` (a ``socketio.Server``)."""

    def _init_handshake(self, connect_timeout):
        #: (eio_sid, namespace) -> the socket whose connect is running (its writes wait).
        self._connecting = {}
        #: Engine.IO sessions that have not sent a CONNECT yet -> their deadline's loop timer.
        self._awaiting_connect = {}
        #: the same, counted per client address (REALTIME_MAX_CONNECTIONS_PER_IP; realtime.limits).
        self._pending = PendingSessions()
        self.connect_timeout = connect_timeout

    def _hold_writes(self, socket):
        """From now until its CONNECT is queued, ``socket``'s writes wait in ``socket.held``."""
        socket.held = []
        self._connecting[(socket.eio_sid, socket.endpoint)] = socket

    @staticmethod
    def _hold(sockets, write):
        """The sockets that may be written now; the others keep ``write`` for after CONNECT."""
        ready = []
        for socket in sockets:
            if getattr(socket, "held", None) is None:
                ready.append(socket)
            else:
                socket.held.append(functools.partial(write, [socket]))
        return ready

    def _handle_eio_connect(self, eio_sid, environ):
        """A new Engine.IO session: it has ``connect_timeout`` seconds to join a namespace."""
        if not self._pending.admit(eio_sid, environ):
            return False  # Engine.IO answers 401: too many bare sessions from this address
        super()._handle_eio_connect(eio_sid, environ)
        if self.connect_timeout:
            timer = gevent.get_hub().loop.timer(self.connect_timeout)
            self._awaiting_connect[eio_sid] = timer
            timer.start(self._deadline, eio_sid)

    def _deadline(self, eio_sid):
        """In the hub (no blocking here): a greenlet closes a session that missed the deadline."""
        if eio_sid in self._awaiting_connect:
            gevent.spawn(self._check_joined, eio_sid)

    def _joined(self, eio_sid):
        timer = self._awaiting_connect.pop(eio_sid, None)
        if timer is not None:
            timer.close()

    def _check_joined(self, eio_sid):
        if eio_sid in self._awaiting_connect:
            self._joined(eio_sid)
            logger.info("closing Engine.IO session %s: no namespace joined within REALTIME_CONNECT_TIMEOUT", eio_sid)
            compat.close_session(self.eio, eio_sid)

    def _handle_eio_disconnect(self, eio_sid, reason):
        self._joined(eio_sid)
        self._pending.done(eio_sid)
        super()._handle_eio_disconnect(eio_sid, reason)

    def _handle_connect(self, eio_sid, namespace, data):
        """CONNECT: what receivers emit while it runs is sent after python-socketio's answer."""
        self._joined(eio_sid)
        self._pending.done(eio_sid)
        key = (eio_sid, namespace or "/")
        try:
            super()._handle_connect(eio_sid, namespace, data)
        finally:
            socket = self._connecting.pop(key, None)
            if socket is not None:
                held, socket.held = socket.held, None
                if socket.sid in self.sockets:  # accepted: CONNECT is queued, then these
                    for write in held:
                        write()

