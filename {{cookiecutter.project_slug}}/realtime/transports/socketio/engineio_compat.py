"""Every reach-into python-engineio's internals, in one place.

python-engineio 4.x speaks Engine.IO v4 well, but differs from the protocol
documents (and from the Node reference server) in a few places that matter
to non-browser clients. Each fix below overrides one private method; the
names they rely on are listed in :data:`REQUIRED` and checked by
:func:`check_library` (run at start-up and by ``test_socketio_protocol``), so
an upgrade of python-engineio that renames them fails loudly instead of
silently undoing a fix.

* The handshake's ``pingInterval`` is truncated to whole seconds
  (``int(0.3) * 1000 == 0``): :meth:`EngineIOServer._trigger_event` rewrites
  the OPEN packet, still queued, with the exact milliseconds.
* A missing pong is noticed by a sweep over all sessions, up to
  ``pingTimeout`` late: :meth:`EngineIOSocket._send_ping` closes the session
  at its own deadline.
* A second GET while one is pending waits on the same queue: it now closes
  the session (the protocol's "overlap"), answering the pending poll.
* After a client's CLOSE over long-polling the pending poll gets an empty
  200; the protocol says ``6`` (NOOP).
* During an upgrade the NOOP that ends the pending poll is queued even when
  no poll is pending, and then travels over the new websocket.
* A client's bad request (unknown transport, version or session, a bad
  upgrade) is logged at ERROR the first time, then at INFO: each is now one
  WARNING line (found by ``test_socketio_fuzz``).
"""

import logging
import time

import engineio
from engineio import packet as eio_packet
from engineio import socket as eio_socket

logger = logging.getLogger("realtime")

#: (class, attribute) pairs the overrides below replace or call.
REQUIRED = (
    (engineio.Server, "_trigger_event"),
    (engineio.Server, "_handle_connect"),
    (engineio.Server, "_log_error_once"),
    (eio_socket.Socket, "_send_ping"),
    (eio_socket.Socket, "schedule_ping"),
    (eio_socket.Socket, "handle_get_request"),
    (eio_socket.Socket, "receive"),
    (eio_socket.Socket, "poll"),
    (eio_socket.Socket, "_websocket_handler"),
)


def check_library():
    """Raise ``RuntimeError`` naming what python-engineio no longer has."""
    missing = [f"{cls.__module__}.{cls.__name__}.{name}" for cls, name in REQUIRED if not hasattr(cls, name)]
    if missing:
        raise RuntimeError(
            f"python-engineio {engineio.__version__ if hasattr(engineio, '__version__') else '?'} lacks "
            f"{', '.join(missing)}: realtime/transports/socketio/engineio_compat.py must be updated for it "
            "(or pin python-engineio to the version in pyproject.toml)."
        )


def milliseconds(seconds):
    return int(round(seconds * 1000))


class EngineIOSocket(eio_socket.Socket):
    """An Engine.IO session with the protocol fixes above.

    engineio creates its own ``Socket``; :class:`EngineIOServer` switches
    each new one to this class before any packet leaves (same slots, no state
    of its own beyond what ``_adopt`` sets).
    """

    def _adopt(self):
        self._ping_seq = 0
        self._polling = False
        self._upgrade_noop = False

    # -- heartbeat ---------------------------------------------------------------
    def _send_ping(self):
        """Ping after the interval; close at the pong deadline, not at the next sweep."""
        self.server.sleep(self.server.ping_interval)
        if self.closing or self.closed:
            return
        self._ping_seq += 1
        seq = self._ping_seq
        self.last_ping = time.time()
        self.send(eio_packet.Packet(eio_packet.PING))
        self.server.sleep(self.server.ping_timeout)
        # A pong resets last_ping (schedule_ping) and starts the next cycle.
        if seq == self._ping_seq and self.last_ping is not None and not (self.closing or self.closed):
            self.server.logger.info("%s: no pong within pingTimeout, closing", self.sid)
            self.last_ping = None  # else send() sees the timeout and skips the CLOSE packet
            self.close(wait=False, abort=False, reason=self.server.reason.PING_TIMEOUT)

    # -- long-polling --------------------------------------------------------
    def handle_get_request(self, environ, start_response):
        upgrade = "upgrade" in environ.get("HTTP_CONNECTION", "").lower()
        if upgrade or self.upgrading or self.upgraded:
            return super().handle_get_request(environ, start_response)
        if self._polling:
            # Two polls at once: the client is broken (or two clients share a sid).
            logger.warning("closing Engine.IO session %s: a second poll arrived while one was pending", self.sid)
            self.close(wait=False, abort=False, reason=self.server.reason.TRANSPORT_ERROR)
            raise _Overlap()
        self._polling = True
        try:
            return super().handle_get_request(environ, start_response)
        finally:
            self._polling = False

    def receive(self, pkt):
        if pkt.packet_type == eio_packet.CLOSE and not self.upgraded:
            # The pending poll (if any) ends with NOOP, as the protocol says.
            self.queue.put(eio_packet.Packet(eio_packet.NOOP))
        return super().receive(pkt)

    # -- upgrade ---------------------------------------------------------------
    def _websocket_handler(self, ws):
        if not self.connected:
            return super()._websocket_handler(ws)
        self._upgrade_noop = True  # an upgrade: engineio will queue one NOOP for the pending poll
        try:
            return super()._websocket_handler(ws)
        except TypeError:
            # engineio decodes the probe and UPGRADE frames without checking that
            # the websocket is still open; ended mid-upgrade, the session stays on polling.
            self.upgrading = False
            self.server.logger.info("%s: websocket closed during the upgrade", self.sid)
            return []

    def poll(self):
        """Queued packets; the upgrade's NOOP is dropped if the websocket writer got it."""
        while True:
            packets = super().poll()
            if not self._upgrade_noop or not packets:
                return packets
            for i, pkt in enumerate(packets):
                if pkt.packet_type == eio_packet.NOOP:
                    self._upgrade_noop = False
                    if self.upgraded:  # taken by the websocket writer: not for the client
                        del packets[i]
                    break
            if packets:
                return packets


class _Overlap(engineio.exceptions.EngineIOError):
    """A poll overlapped a pending one (answered 400 by engineio)."""


class EngineIOServer(engineio.Server):
    """python-engineio's server with :class:`EngineIOSocket` sessions."""

    def _trigger_event(self, event, *args, **kwargs):
        if event == "connect":
            self._adopt(args[0])
        return super()._trigger_event(event, *args, **kwargs)

    def _log_error_once(self, message, message_key):
        if message_key.startswith("realtime-"):  # ours: the library changed, a server problem
            return super()._log_error_once(message, message_key)
        logger.warning("refused Engine.IO request: %.200s", message)
        return None

    def _adopt(self, sid):
        """Switch a new session to our class and fix its queued OPEN packet."""
        session = self.sockets.get(sid)
        if session is None:
            return
        session.__class__ = EngineIOSocket
        session._adopt()
        opening = session.queue.peek(block=False) if session.queue.qsize() else None
        if opening is None or opening.packet_type != eio_packet.OPEN or not isinstance(opening.data, dict):
            # _handle_connect no longer queues OPEN first: the library changed.
            self._log_error_once(
                "engineio_compat: no OPEN packet to fix; pingInterval may be truncated. Update "
                "realtime/transports/socketio/engineio_compat.py for this python-engineio.",
                "realtime-open-packet",
            )
            return
        opening.data["pingInterval"] = milliseconds(self.ping_interval + self.ping_interval_grace_period)
        opening.data["pingTimeout"] = milliseconds(self.ping_timeout)
        opening.encode_cache = None


def close_session(eio, sid, reason=None):
    """End an Engine.IO session now, without waiting for its queue to drain.

    ``engineio.Server.disconnect`` waits until the client has read every
    queued packet (the next poll, for long-polling); this queues CLOSE and
    returns, so the request that found the problem is answered at once.
    """
    session = eio.sockets.get(sid)
    if session is not None and not (session.closing or session.closed):
        session.close(wait=False, abort=False, reason=reason or eio.reason.TRANSPORT_ERROR)


def session_open(eio, sid):
    """True if ``sid`` names an Engine.IO session that is still open."""
    session = eio.sockets.get(sid)
    return session is not None and not session.closed
