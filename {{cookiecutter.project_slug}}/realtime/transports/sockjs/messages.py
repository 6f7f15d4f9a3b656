"""What a client may send and how fast: strings only, and backpressure instead of a cut-off.

Shared by every way messages come in (the websocket handlers, ``xhr_send``
and the legacy ``jsonp_send``), and importing no handler, so
:mod:`.legacy` can use it without a circular import.
"""

import logging

from realtime import stats

logger = logging.getLogger("realtime")


def only_strings(decoded, peer):
    """The SockJS messages of a decoded frame or body: strings only, as the protocol says.

    sockjs-tornado hands any JSON value to the connection (a plain
    ``SockJSConnection`` then fails on it with a traceback) and, over
    ``xhr_send``, raises on a body that is not an array. A lone value counts
    as one message; what is not a string is dropped, with one log line.
    Found by ``test_sockjs_fuzz``.
    """
    messages = decoded if isinstance(decoded, list) else [decoded]
    strings = [message for message in messages if isinstance(message, str)]
    if len(strings) == len(messages):
        return decoded if isinstance(decoded, list) else strings
    stats.counters.dropped += 1
    logger.warning("dropped %d SockJS message(s) from %s: a message is a string", len(messages) - len(strings), peer)
    return strings


def room(session):
    """None, or a future that resolves once ``session``'s receivers are down to LOW_WATER.

    Every way a client's messages come in awaits it before taking more
    (:class:`~.workers.SerialQueue`): backpressure, never a cut-off.
    """
    socket = getattr(getattr(session, "conn", None), "socket", None)
    queue = getattr(socket, "queue", None)
    return queue.room() if queue is not None else None
