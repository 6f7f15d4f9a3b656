"""python-engineio's protocol fixes (part of :mod:`realtime.transports.socketio.compat`).

Each overrides a private method listed in ``compat.REQUIRED``; the package's
docstring says what each fixes. Kept apart only for size.
"""

import logging
import time

import engineio
from engineio import packet as eio_packet
from engineio import socket as eio_socket

logger = logging.getLogger("realtime")


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
                "compat: no OPEN packet to fix; pingInterval may be truncated. Update "
                "realtime/transports/socketio/compat/ for this python-engineio.",
                "realtime-open-packet",
            )
            return
        opening.data["pingInterval"] = milliseconds(self.ping_interval + self.ping_interval_grace_period)
        opening.data["pingTimeout"] = milliseconds(self.ping_timeout)
        opening.encode_cache = None


def _schedule_ping_on_a_timer(self):
    """``engineio.socket.Socket.schedule_ping`` without a sleeping greenlet per client.

    Engine.IO parks one greenlet per connection in ``sleep(ping_interval)``
    (about 8 KB each, for every idle connection); a gevent timer does the
    same wait for a few hundred bytes. A second timer closes the session at
    its pong deadline, as :meth:`EngineIOSocket._send_ping`
    does for the other drivers (Engine.IO itself waits for its next sweep).
    """
    if not self.last_ping:
        return
    self.last_ping = None
    import gevent

    timer = gevent.get_hub().loop.timer(self.server.ping_interval)
    timer.start(_ping_due, self, timer)


def _ping_due(eio_socket, timer):  # runs in the gevent hub: must not block
    timer.close()
    if eio_socket.closing or eio_socket.closed:
        return
    import gevent

    seq = eio_socket._ping_seq = getattr(eio_socket, "_ping_seq", 0) + 1
    eio_socket.last_ping = time.time()
    eio_socket.queue.put(eio_packet.Packet(eio_packet.PING))
    deadline = gevent.get_hub().loop.timer(eio_socket.server.ping_timeout)
    deadline.start(_pong_overdue, eio_socket, deadline, seq)


def _pong_overdue(eio_socket, timer, seq):  # in the hub too: the close runs in a greenlet
    timer.close()
    # A pong sets last_ping to None (schedule_ping) and starts the next cycle.
    if seq != eio_socket._ping_seq or eio_socket.last_ping is None or eio_socket.closing or eio_socket.closed:
        return
    import gevent

    eio_socket.server.logger.info("%s: no pong within pingTimeout, closing", eio_socket.sid)
    eio_socket.last_ping = None  # else send() sees the timeout and skips the CLOSE packet
    gevent.spawn(eio_socket.close, wait=False, abort=False, reason=eio_socket.server.reason.PING_TIMEOUT)


def use_timer_pings():
    """Engine.IO's pings from timers (gevent only; see :func:`_schedule_ping_on_a_timer`)."""
    eio_socket.Socket.schedule_ping = _schedule_ping_on_a_timer
