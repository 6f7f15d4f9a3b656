"""Every reach-in into python-engineio and gevent-websocket internals, in one place.

Writing a prepared frame straight to a websocket client (:mod:`.direct`)
needs a few things these libraries do not offer as API: the Engine.IO
socket a websocket belongs to, its outgoing queue and upgrade state, and
the TCP socket under gevent-websocket. They are read here and nowhere else;
``realtime/tests/test_socketio_compat.py`` checks each one against the
installed versions and fails loudly, naming what changed, if an upgrade
moves them.

Checked with python-engineio 4.15, python-socketio 5.18, gevent-websocket
0.10.1 and gevent 26.
"""

import time

from engineio import packet as eio_packet
from engineio import payload as eio_payload
from engineio import socket as eio_socket_module

#: Attribute under which an Engine.IO socket carries its :class:`~.direct.DirectWebSocket`.
ATTR = "_realtime_direct"


def engineio_socket_of(app):
    """The Engine.IO ``Socket`` whose ``_websocket_handler`` a websocket driver was given."""
    return getattr(app, "__self__", None)


def attach(eio_socket, direct):
    setattr(eio_socket, ATTR, direct)


def detach(eio_socket, direct):
    if getattr(eio_socket, ATTR, None) is direct:
        setattr(eio_socket, ATTR, None)


def direct_of(eio_server, eio_sid):
    """The direct writer of a client's websocket, or None (polling, gone, or not ours)."""
    eio_socket = eio_server.sockets.get(eio_sid)
    if eio_socket is None:
        return None
    return getattr(eio_socket, ATTR, None)


def writable_now(eio_socket):
    """True when nothing is queued for the client's writer and the websocket is its transport.

    Then every frame queued before has been handed to the kernel, so a frame
    written now keeps its place in the order.
    """
    return (
        eio_socket.upgraded
        and not eio_socket.upgrading
        and not eio_socket.closing
        and not eio_socket.closed
        and not eio_socket.queue.qsize()
    )


def enqueue(eio_socket, pkt):
    """Put ``pkt`` on the client's outgoing queue, behind what waits there."""
    eio_socket.queue.put(pkt)


def enqueue_first(eio_socket, pkt):
    """Put ``pkt`` at the FRONT of the client's queue: it is older than what waits there.

    gevent's ``JoinableQueue`` is compiled (no writable internals), so the
    waiting items are taken out and put back behind ``pkt``, and the extra
    puts are balanced with ``task_done`` so ``join()`` still counts right.
    Rare: only when something was queued between a frame's buffering and
    its flush.
    """
    queue = eio_socket.queue
    waiting = [queue.get_nowait() for _ in range(queue.qsize())]
    queue.put(pkt)
    for item in waiting:
        queue.put(item)
    for _ in waiting:
        queue.task_done()


def call_soon(callback):
    """Run ``callback()`` in this turn of the gevent loop, once the running greenlet yields."""
    import gevent

    gevent.get_hub().loop.run_callback(callback)


def tcp_socket(websocket):
    """The gevent TCP socket under a gevent-websocket ``WebSocket``."""
    return websocket.stream.handler.socket


def allow_polling_batches(max_packets):
    """Let a long-polling POST carry up to ``max_packets`` packets.

    Engine.IO refuses a POST of more than 16 packets (``Payload.max_decode_packets``)
    and drops ALL of them, yet clients (socket.io-client, python-socketio) batch
    whatever they queued into one POST. The POST's size is already bounded by
    ``REALTIME_MAX_MESSAGE_BYTES``, and a packet is at least one byte.
    """
    if eio_payload.Payload.max_decode_packets < max_packets:
        eio_payload.Payload.max_decode_packets = max_packets


def _schedule_ping_on_a_timer(self):
    """``engineio.socket.Socket.schedule_ping`` without a sleeping greenlet per client.

    Engine.IO parks one greenlet per connection in ``sleep(ping_interval)``
    (about 8 KB each, for every idle connection); a gevent timer does the
    same wait for a few hundred bytes. A second timer closes the session at
    its pong deadline, as :meth:`.engineio_compat.EngineIOSocket._send_ping`
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
    eio_socket_module.Socket.schedule_ping = _schedule_ping_on_a_timer


MESSAGE = eio_packet.MESSAGE
Packet = eio_packet.Packet
