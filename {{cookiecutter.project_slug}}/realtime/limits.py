"""Limits on what one client may hold: connections per address, rooms per socket.

Without them one script could open thousands of sockets from one address
(600 websockets in 1.5 s were accepted), or one socket could join rooms
until the process ran out of memory. HAProxy limits connections per
address in production (``deploy/haproxy.cfg``); this is the same limit in
our own layer, for deploys without HAProxy and for whatever gets past it.

``REALTIME_MAX_CONNECTIONS_PER_IP`` (256; 0: no limit) sockets of one
client address per process: the next connection is refused with the reason
``too_many_connections`` (Socket.IO's ``connect_error``, SockJS's close).
The address is ``REMOTE_ADDR``, the client's own behind a trusted proxy
(``REALTIME_TRUSTED_PROXIES``): never X-Forwarded-For from anyone else.
Polling sessions count as connections, so a long-poll flood (many sessions
from one client) meets the same limit. Engine.IO sessions that have not
joined a namespace yet are not sockets: they are counted apart
(:class:`PendingSessions`) against the same limit, so a script cannot make
thousands of bare handshakes over one keep-alive connection (which HAProxy's
per-connection limits do not see) either. The count is per process: with N
socket processes an address may hold up to N times the limit.

``REALTIME_MAX_ROOMS_PER_SOCKET`` (100; 0: no limit) rooms one socket may be
in: :meth:`realtime.sockets.Socket.join` raises :class:`TooManyRooms`, which
the event's ack carries to the client as ``too_many_rooms`` (one log line,
no traceback).

Refusals are logged at most once per address (or socket) every
``LOG_EVERY`` seconds: a flood must not become a flood of log lines.
"""

import logging
import threading
import time
from collections import Counter

from realtime import conf
from realtime.exceptions import ConnectionRefused, LimitExceeded

logger = logging.getLogger("realtime")

LOG_EVERY = 10.0  # seconds between two log lines about one address
_logged = {}
_lock = threading.Lock()


class TooManyRooms(LimitExceeded):
    code = "too_many_rooms"


def max_connections_per_ip():
    fix = "set sockets per client address, e.g. 256 (0: no limit)."
    return int(conf.get_number("REALTIME_MAX_CONNECTIONS_PER_IP", 0, fix))


def max_rooms_per_socket():
    return int(conf.get_number("REALTIME_MAX_ROOMS_PER_SOCKET", 0, "set rooms per socket, e.g. 100 (0: no limit)."))


def check_connection(socket):
    """Raise ConnectionRefused when ``socket`` (already in the registry) is one too many for its address."""
    from realtime.registry import client_address, connected_sockets

    limit = max_connections_per_ip()
    address = client_address(socket)
    if not limit or connected_sockets.count_from(address) <= limit:
        return
    if _first_in_a_while(("address", address)):
        logger.warning(
            "refusing connections from %s: %d open in this process (REALTIME_MAX_CONNECTIONS_PER_IP); "
            "raise it if many users share this address (a NAT)",
            address,
            limit,
        )
    raise ConnectionRefused("too_many_connections")


def check_room(socket, room):
    """Raise TooManyRooms when ``socket`` may not join one more room."""
    limit = max_rooms_per_socket()
    if not limit or len(socket.rooms) < limit:
        return
    if _first_in_a_while(("rooms", socket.sid)):
        logger.warning(
            "%s may not join %.100r: it is in %d rooms (REALTIME_MAX_ROOMS_PER_SOCKET)", socket.sid, room, limit
        )
    raise TooManyRooms(f"A connection may be in at most {limit} rooms: leave one first.")


def _first_in_a_while(key):
    now = time.monotonic()
    with _lock:
        if now - _logged.get(key, -LOG_EVERY) < LOG_EVERY:
            return False
        if len(_logged) > 10_000:
            _logged.clear()
        _logged[key] = now
        return True


class PendingSessions:
    """Engine.IO sessions that joined no namespace yet, per client address (one per server).

    ``admit`` at the handshake (False: refuse it), ``done`` when the session
    joins a namespace or ends. They live at most ``REALTIME_CONNECT_TIMEOUT``.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._address = {}  # eio sid -> client address
        self._count = Counter()

    def admit(self, eio_sid, environ):
        from realtime.middleware import apply_forwarded

        address = apply_forwarded(dict(environ)).get("REMOTE_ADDR") or "?"
        limit = max_connections_per_ip()
        with self._lock:
            if limit and self._count[address] >= limit:
                refused = True
            else:
                refused = False
                self._address[eio_sid] = address
                self._count[address] += 1
        if refused and _first_in_a_while(("handshakes", address)):
            logger.warning(
                "refusing Engine.IO handshakes from %s: %d sessions joined no namespace yet "
                "(REALTIME_MAX_CONNECTIONS_PER_IP)",
                address,
                limit,
            )
        return not refused

    def done(self, eio_sid):
        with self._lock:
            address = self._address.pop(eio_sid, None)
            if address is not None:
                self._count[address] -= 1
                if self._count[address] <= 0:
                    del self._count[address]
