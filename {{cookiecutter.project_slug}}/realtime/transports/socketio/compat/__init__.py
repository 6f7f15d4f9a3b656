"""Every reach-in into python-engineio's and python-socketio's internals, in one place.

(A package only for size: the protocol-fix subclasses are in :mod:`.protocol`.)

Nothing else in the transport reads or writes their private state; the
private methods our classes override (here, in :mod:`.server` and
:mod:`.handshake`) are listed in :data:`REQUIRED`, which
:func:`check_library` checks at start-up (``RealtimeSocketIOServer``) and
``realtime/tests/unit/test_socketio_compat.py`` checks with more detail: an
upgrade that moves one fails loudly, naming this file. The versions checked
are the ones ``pyproject.toml`` pins.

Protocol fixes (python-engineio differs from the protocol documents and the
Node server where it matters to non-browser clients):

* the handshake's ``pingInterval`` is truncated to whole seconds
  (``int(0.3) * 1000 == 0``): :meth:`EngineIOServer._adopt` rewrites the
  still-queued OPEN packet with the exact milliseconds;
* a missing pong is noticed by a sweep, up to ``pingTimeout`` late: pings
  close the session at their own deadline (timers under gevent:
  :func:`use_timer_pings`; :meth:`EngineIOSocket._send_ping` otherwise);
* a second GET while one is pending closes the session (the protocol's
  "overlap"); after a client's CLOSE over polling the pending poll gets
  ``6`` (NOOP); the upgrade's NOOP never travels over the new websocket;
* a client's bad request is one WARNING line (found by ``test_socketio_fuzz``);
* a long-polling POST may carry as many packets as fit the size limit.

For the direct websocket writer (:mod:`.direct`): the Engine.IO socket of a
websocket, its queue and upgrade state, and the websocket driver. For the
server (:mod:`.server`): a binary packet waiting for attachments and the
ack ids of server-to-client events.
"""

import logging

import engineio
import socketio
from engineio import packet as eio_packet
from engineio import payload as eio_payload
from engineio import socket as eio_socket

logger = logging.getLogger("realtime")

#: (owner, attribute) pairs we override, call or read; checked by :func:`check_library`.
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
    (eio_payload.Payload, "max_decode_packets"),
    (socketio.Server, "_engineio_server_class"),
    (socketio.Server, "_handle_eio_connect"),
    (socketio.Server, "_handle_eio_disconnect"),
    (socketio.Server, "_handle_eio_message"),
    (socketio.Server, "_handle_connect"),
    (socketio.Server, "_handle_event"),
    (socketio.Server, "_send_packet"),
    (socketio.base_manager.BaseManager, "_generate_ack_id"),
)
#: Attributes set on instances in ``__init__`` (so not on the class): checked on a fresh one.
REQUIRED_ON_INSTANCES = (("socketio.Server()", "_binary_packet"), ("engineio.Server()", "_async"))


def check_library():
    """Raise ``RuntimeError`` naming what python-engineio/python-socketio no longer has."""
    missing = [f"{owner.__module__}.{owner.__name__}.{name}" for owner, name in REQUIRED if not hasattr(owner, name)]
    server = socketio.Server(async_mode="gevent")
    missing += [
        f"{what}.{name}"
        for what, name in REQUIRED_ON_INSTANCES
        if not hasattr(server if what.startswith("socketio") else server.eio, name)
    ]
    if missing:
        raise RuntimeError(
            f"python-engineio {getattr(engineio, '__version__', '?')} / python-socketio lacks "
            f"{', '.join(missing)}: realtime/transports/socketio/compat/ must be updated for it "
            "(or pin both to the versions in pyproject.toml)."
        )


# -- the direct websocket writer ---------------------------------------------------
#: Attribute under which an Engine.IO socket carries its :class:`~.direct.DirectWebSocket`.
ATTR = "_realtime_direct"
MESSAGE = eio_packet.MESSAGE
Packet = eio_packet.Packet


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


def use_websocket_driver(eio, driver):
    """Serve Engine.IO's websockets with ``driver`` (a subclass of its gevent driver)."""
    eio._async = dict(eio._async, websocket=driver)


# -- python-socketio's server state ------------------------------------------------
def pending_binary(server, eio_sid):
    """The binary packet still collecting its attachments on ``eio_sid``, or None."""
    return server._binary_packet.get(eio_sid)


def drop_pending_binary(server, eio_sid):
    server._binary_packet.pop(eio_sid, None)


def new_ack_id(server, sid, callback):
    """An ack id for a server-to-client event; ``callback(*args)`` runs when the client acks."""
    return server.manager._generate_ack_id(sid, callback)


# -- Engine.IO set-up ---------------------------------------------------------------
def allow_polling_batches(max_packets):
    """Let a long-polling POST carry up to ``max_packets`` packets.

    Engine.IO refuses a POST of more than 16 packets (``Payload.max_decode_packets``)
    and drops ALL of them, yet clients (socket.io-client, python-socketio) batch
    whatever they queued into one POST. The POST's size is already bounded by
    ``REALTIME_MAX_MESSAGE_BYTES``, and a packet is at least one byte.
    """
    if eio_payload.Payload.max_decode_packets < max_packets:
        eio_payload.Payload.max_decode_packets = max_packets


# -- sessions -----------------------------------------------------------------------
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


# The protocol fixes subclass and patch python-engineio: they are part of this module.
from realtime.transports.socketio.compat.protocol import (  # noqa: E402, F401 - re-exported
    EngineIOServer,
    EngineIOSocket,
    milliseconds,
    use_timer_pings,
)
