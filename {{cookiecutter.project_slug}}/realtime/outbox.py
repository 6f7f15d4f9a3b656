"""A client that never reads: how much the server keeps for it, and when it gives up.

What the server sends a client waits in memory until the client reads it:
in Engine.IO's per-client queue (Socket.IO, websocket and long-polling), in
the SockJS session's queue (polling and streaming transports) and in
tornado's write buffer (SockJS websocket and xhr-streaming). A client that
keeps its connection open (even answering pings, which it can do without
reading anything) but never reads would make that grow with every message
of its rooms until the process runs out of memory.

``REALTIME_MAX_QUEUED_BYTES`` (1 MiB; 0: no limit) is what may wait for one
client. Past it the client is cut off: its connection is closed at once
(nothing more is queued for it), one line is logged, and it counts in the
stats as ``overloaded``. A client that reads, however slowly, but keeps up
on average never gets near it; a real client that fell that far behind
reconnects and catches up from history (the chat does).

The transports call :func:`socketio_backlog` / :func:`sockjs_backlog` after
queueing for a client; both only read attributes, so this module imports
neither transport's libraries. On Socket.IO the queue holds packets, not
bytes: its size is the packet count times the size of the frame just
queued (chat frames are alike; a safety limit needs no more precision).
"""

import logging
import socket as _socket

from realtime import conf, stats

logger = logging.getLogger("realtime")


def max_queued_bytes():
    fix = "set bytes that may wait for one client, e.g. 1048576 (0: no limit)."
    return int(conf.get_number("REALTIME_MAX_QUEUED_BYTES", 0, fix))


def _over(socket, queued):
    limit = max_queued_bytes()
    if not limit or queued <= limit or getattr(socket, "cut_off", False):
        return False
    socket.cut_off = True
    stats.counters.overloaded += 1
    logger.warning(
        "disconnecting %s: about %d bytes wait for it (REALTIME_MAX_QUEUED_BYTES %d): it does not read",
        socket.sid,
        queued,
        limit,
    )
    return True


def socketio_backlog(eio_server, socket, frame_bytes):
    """After queueing frames of ``frame_bytes`` each for ``socket``: cut it off if too much waits."""
    eio_socket = eio_server.sockets.get(socket.eio_sid)
    if eio_socket is None or not _over(socket, eio_socket.queue.qsize() * frame_bytes):
        return
    raw = getattr(socket.direct, "raw", None)  # its websocket's TCP socket (a writer may be stuck on it)

    def cut():
        eio_socket.close(wait=False, abort=True)
        if raw is not None:
            try:
                raw.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass

    eio_server.start_background_task(cut)  # not inside the broadcast that is writing


def sockjs_backlog(socket, session):
    """On the IOLoop, after writing to ``session``: cut it off if too much waits for its client."""
    queued = len(getattr(session, "send_queue", None) or "")
    handler = session.handler
    stream = getattr(getattr(handler, "ws_connection", None), "stream", None)
    if stream is None:
        connection = getattr(getattr(handler, "request", None), "connection", None)
        stream = getattr(connection, "stream", None)
    buffered = getattr(stream, "_write_buffer", None)
    if buffered is not None:
        queued += len(buffered)
    if not _over(socket, queued):
        return
    if hasattr(session, "send_queue"):
        session.send_queue = ""
    if hasattr(handler, "abort_connection"):  # a websocket: a close frame would only queue behind the rest
        handler.abort_connection()
        return
    session.close(4429, "not reading")  # a poll that comes gets this close frame
    if stream is not None:
        stream.close()
