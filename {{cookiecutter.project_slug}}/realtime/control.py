"""Control envelopes: the bus telling every process to act on its own sockets.

A socket's user is resolved once, at connect; after a logout, a password
change or a deactivation the open socket would keep that user (and its
private rooms) until it reconnects. :func:`disconnect_user` publishes one
``control`` envelope; each process, the publisher's included, closes its
sockets of that user (:func:`handle`, called by :func:`realtime.delivery.deliver`).
Clients reconnect with whatever their session says now: anonymous, or the
same user when only another session of theirs logged out.

Wire shape: ``{"kind": "control", "event": "disconnect_user", "args":
[user_id, reason], ...}`` (the rest as in :mod:`realtime.envelope`).
"""

import logging

from realtime.registry import connected_sockets

logger = logging.getLogger("realtime")

DISCONNECT_USER = "disconnect_user"


def disconnect_user(user_id, reason="signed out"):
    """Close every socket of the user ``user_id`` (a pk), in every process, through the bus."""
    from realtime.bus import publish
    from realtime.envelope import Envelope

    if user_id is None:
        return
    publish(Envelope("control", [str(user_id), str(reason)], event=DISCONNECT_USER))


def handle(envelope):
    """Act on a control envelope in this process; returns how many sockets it touched."""
    if envelope.event != DISCONNECT_USER or len(envelope.args) != 2:
        logger.warning("control envelope %r not understood; dropped (is every process the same version?)", envelope)
        return 0
    user_id, reason = envelope.args
    closed = 0
    for socket in connected_sockets:
        if socket.user_id is not None and str(socket.user_id) == str(user_id):
            socket.disconnect()
            closed += 1
    if closed:
        logger.info("closed %d socket(s) of user %s: %s", closed, user_id, reason)
    return closed
