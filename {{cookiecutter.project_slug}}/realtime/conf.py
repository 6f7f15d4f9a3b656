"""Settings of the realtime app, with their defaults and their checks.

The one place that reads ``settings.REALTIME_*`` and ``settings.CLIENTSIGNAL_*``
(``realtime/tests/unit/test_conf_unit.py`` fails on any other reader), so a
default is written once and every module agrees on it. The client-signal
settings' checks live next to their API in ``realtime.clientsignal.settings``,
which reads them through :func:`get` (their defaults are here).

Every setting is optional. A bad value raises ``ImproperlyConfigured``
naming the setting and how to fix it, at start-up rather than at the first
message.

=================================  ===========================================
``REALTIME_BUS_BACKEND``           dotted path of the bus class; unset: the
                                   in-memory bus (one process).
``REALTIME_CHANNEL_PREFIX``        prefix of the bus's keys and channels
                                   (``"realtime"``); alias
                                   ``CLIENTSIGNAL_BACKEND_OPTIONS
                                   ["CHANNEL_PREFIX"]``.
``REALTIME_SOCKETIO_PATH``         Socket.IO URL path (``"socket.io"``).
``REALTIME_SOCKJS_PREFIX``         core SockJS endpoint (``"/sockjs"``).
``REALTIME_SOCKJS_OPTIONS``        per-endpoint SockJS options (``{}``):
                                   ``{"*" or url: {option: value}}``, e.g.
                                   ``{"*": {"disabled_transports": ["jsonp",
                                   "htmlfile"]}}`` turns the old-browser
                                   transports off (all are served by
                                   default); keys in
                                   ``transports.sockjs.router``.
``REALTIME_ALLOWED_ORIGINS``       origins allowed to connect, exactly; default:
                                   the request's own origin (scheme, host,
                                   port) and ``CSRF_TRUSTED_ORIGINS``.
``REALTIME_MAX_MESSAGE_BYTES``     largest frame a client may send (65536).
``REALTIME_PING_INTERVAL``         seconds between Socket.IO pings (25); a
                                   fraction down to 0.1 (100 ms) is fine: the
                                   handshake advertises it in exact ms.
``REALTIME_PING_TIMEOUT``          seconds to wait for a pong before closing
                                   the session (20; down to 0.1).
``REALTIME_CONNECT_TIMEOUT``       seconds a Socket.IO client has to join a
                                   namespace after its handshake before the
                                   session is closed (45, as the Node server;
                                   0 never closes it).
``REALTIME_PRESENCE_TTL``          seconds before a dead process's members
                                   leave presence (15).
``REALTIME_EVENT_RATE``            client events per second one connection
                                   may send, sustained (50; 0: no limit).
``REALTIME_EVENT_BURST``           ... and back to back (300); past them an
                                   event is answered ``rate_limited``.
``REALTIME_USER_EVENT_RATE``       client events per second one logged-in
                                   user or one session may send across all
                                   its connections (100; 0: no limit), per
                                   process.
``REALTIME_USER_EVENT_BURST``      ... and back to back (500).
``REALTIME_MAX_CONNECTIONS_PER_IP`` sockets one client address may hold in
                                   one process (256; 0: no limit).
``REALTIME_MAX_ROOMS_PER_SOCKET``  rooms one socket may be in (100; 0: no
                                   limit).
``REALTIME_MAX_QUEUED_BYTES``      bytes that may wait for a client that does
                                   not read (1 MiB; 0: no limit); past them
                                   it is disconnected (``realtime.outbox``).
``REALTIME_TRANSPORTS``            transports served, in the browser's order of
                                   preference; default: every transport this
                                   project has (``realtime/transports/``).
``REALTIME_SOCKETIO_URL``          absolute URL of a Socket.IO server on another
``REALTIME_SOCKJS_URL``            origin, for browsers (None: this origin).
``REALTIME_TRUSTED_PROXIES``       IPs or networks whose ``X-Forwarded-*`` are
                                   believed (``127.0.0.1``, ``::1``).
``REALTIME_CSP``                   Content-Security-Policy overrides (``{}``;
                                   None: no header), see ``realtime.csp``.
``REALTIME_LOCAL_BUS_DIR``         directory of the local bus's sockets.
``REALTIME_SOCKJS_*``              ``WORKERS`` (8), ``DJANGO_THREADS`` (4),
                                   ``XHEADERS`` (False), ``CLIENT_URL``: see
                                   ``realtime.transports.sockjs``.
``CLIENTSIGNAL_*``                 see ``realtime.clientsignal.settings``.
=================================  ===========================================
"""

import copy
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

#: Every transport this app knows, in the default order of preference.
KNOWN_TRANSPORTS = ("socketio", "sockjs")

DEFAULTS = {
    "REALTIME_CHANNEL_PREFIX": "realtime",
    "REALTIME_SOCKETIO_PATH": "socket.io",
    "REALTIME_SOCKJS_PREFIX": "/sockjs",
    "REALTIME_SOCKJS_OPTIONS": {},
    "REALTIME_ALLOWED_ORIGINS": None,
    "REALTIME_MAX_MESSAGE_BYTES": 64 * 1024,
    "REALTIME_PING_INTERVAL": 25,
    "REALTIME_PING_TIMEOUT": 20,
    "REALTIME_CONNECT_TIMEOUT": 45,
    "REALTIME_PRESENCE_TTL": 15,
    "REALTIME_BUS_BACKEND": None,
    "REALTIME_EVENT_RATE": 50,
    "REALTIME_EVENT_BURST": 300,
    "REALTIME_USER_EVENT_RATE": 100,
    "REALTIME_USER_EVENT_BURST": 500,
    "REALTIME_MAX_CONNECTIONS_PER_IP": 256,
    "REALTIME_MAX_ROOMS_PER_SOCKET": 100,
    "REALTIME_MAX_QUEUED_BYTES": 1024 * 1024,
    "REALTIME_TRANSPORTS": None,  # None: the transports installed (see transports())
    "REALTIME_SOCKETIO_URL": None,
    "REALTIME_SOCKJS_URL": None,
    "REALTIME_TRUSTED_PROXIES": ("127.0.0.1", "::1"),
    "REALTIME_CSP": {},
    "REALTIME_LOCAL_BUS_DIR": None,
    "REALTIME_SOCKJS_WORKERS": 8,
    "REALTIME_SOCKJS_DJANGO_THREADS": 4,
    "REALTIME_SOCKJS_XHEADERS": False,
    "REALTIME_SOCKJS_CLIENT_URL": None,
    "CLIENTSIGNAL_CONNECTIONS": {},
    "CLIENTSIGNAL_BACKEND": None,
    "CLIENTSIGNAL_BACKEND_OPTIONS": {},
    "CLIENTSIGNAL_JSON_ENCODER": None,
    "CLIENTSIGNAL_JSON_OBJECT_HOOK": None,
}


def get(name: str) -> Any:
    """The setting's value, or its default (a copy, so callers may change it)."""
    try:
        return getattr(settings, name)
    except AttributeError:
        return copy.deepcopy(DEFAULTS[name])


def _number(name: str, minimum: float, fix: str) -> float:
    value = get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ImproperlyConfigured(f"{name} must be a number >= {minimum} (got {value!r}); {fix}")
    return value


def get_number(name: str, minimum: float, fix: str) -> float:
    """The number setting ``name`` (>= ``minimum``); ``ImproperlyConfigured`` naming ``fix`` otherwise."""
    return _number(name, minimum, fix)


def max_message_bytes() -> int:
    return int(_number("REALTIME_MAX_MESSAGE_BYTES", 128, "set it in bytes, e.g. 65536."))


def ping_interval() -> float:
    # Fractions are advertised exactly (python-engineio's truncation is fixed in
    # transports/socketio/compat/); below 100 ms clients spend their time pinging.
    return _number("REALTIME_PING_INTERVAL", 0.1, "set it in seconds, e.g. 25 (or 0.3 for 300 ms).")


def ping_timeout() -> float:
    return _number("REALTIME_PING_TIMEOUT", 0.1, "set it in seconds, e.g. 20 (or 0.2 for 200 ms).")


def connect_timeout() -> float:
    return _number("REALTIME_CONNECT_TIMEOUT", 0, "set it in seconds, e.g. 45 (0 to never close).")


def event_rate() -> tuple[float, float]:
    """``(per second, burst)`` of client events one connection may send; a rate of 0 turns it off."""
    rate = _number("REALTIME_EVENT_RATE", 0, "set events per second per connection, e.g. 50 (0: no limit).")
    burst = _number("REALTIME_EVENT_BURST", 1, "set how many events a connection may send back to back, e.g. 300.")
    return float(rate), float(burst)


def user_event_rate() -> tuple[float, float]:
    """``(per second, burst)`` of client events one user or session may send; a rate of 0 turns it off."""
    rate = _number("REALTIME_USER_EVENT_RATE", 0, "set events per second per user or session, e.g. 100 (0: no limit).")
    burst = _number("REALTIME_USER_EVENT_BURST", 1, "set how many events a user may send back to back, e.g. 500.")
    return float(rate), float(burst)


def presence_ttl() -> float:
    return _number("REALTIME_PRESENCE_TTL", 2, "set it in seconds, e.g. 15.")


def socketio_path() -> str:
    path = get("REALTIME_SOCKETIO_PATH")
    if not isinstance(path, str) or not path.strip("/"):
        raise ImproperlyConfigured("REALTIME_SOCKETIO_PATH must be a path such as 'socket.io'.")
    return path.strip("/")


def sockjs_prefix() -> str:
    prefix = get("REALTIME_SOCKJS_PREFIX")
    if not isinstance(prefix, str) or not prefix.startswith("/") or prefix == "/":
        raise ImproperlyConfigured("REALTIME_SOCKJS_PREFIX must be a path such as '/sockjs'.")
    return prefix.rstrip("/")


def channel_prefix() -> str:
    options = get("CLIENTSIGNAL_BACKEND_OPTIONS") or {}
    prefix = getattr(settings, "REALTIME_CHANNEL_PREFIX", None) or options.get("CHANNEL_PREFIX") or "realtime"
    if not isinstance(prefix, str) or any(c.isspace() for c in prefix):
        raise ImproperlyConfigured("REALTIME_CHANNEL_PREFIX must be a string without spaces.")
    return prefix


def bus_backend() -> type | None:
    """The bus class named by ``REALTIME_BUS_BACKEND``, or None for the memory bus."""
    path = get("REALTIME_BUS_BACKEND")
    if not path:
        return None
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"REALTIME_BUS_BACKEND {path!r} cannot be imported ({exc}); fix the path or unset it."
        ) from None


def installed_transports() -> list[str]:
    """The transports this project has (a project baked with one has no files of the other)."""
    here = Path(__file__).resolve().parent / "transports"
    return [name for name in KNOWN_TRANSPORTS if (here / name).is_dir()]


def transports() -> list[str]:
    """``REALTIME_TRANSPORTS``: the transports served, in the browser's order of preference."""
    value = get("REALTIME_TRANSPORTS")
    installed = installed_transports()
    if value is None:
        return installed
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise ImproperlyConfigured(
            f"REALTIME_TRANSPORTS must be a list such as {installed!r} (got {value!r})."
        )
    missing = [name for name in value if name not in installed]
    if missing:
        raise ImproperlyConfigured(
            f"REALTIME_TRANSPORTS lists {missing!r}, which this project does not have: "
            f"use some of {installed!r}."
        )
    return list(dict.fromkeys(value))


def _url(name: str) -> str | None:
    value = get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or "://" not in value:
        raise ImproperlyConfigured(f"{name} must be an absolute URL such as 'http://127.0.0.1:8001' (got {value!r}).")
    return value


def socketio_url() -> str:
    """``REALTIME_SOCKETIO_URL`` without its trailing slash, or "" for the page's own origin."""
    return (_url("REALTIME_SOCKETIO_URL") or "").rstrip("/")


def sockjs_url() -> str | None:
    """``REALTIME_SOCKJS_URL``, or None for the page's own origin."""
    return _url("REALTIME_SOCKJS_URL")


def sockjs_workers() -> int:
    """``REALTIME_SOCKJS_WORKERS``: threads running receivers off runsocket's loop."""
    return int(_number("REALTIME_SOCKJS_WORKERS", 1, "set a number of threads, e.g. 8."))


def sockjs_django_threads() -> int:
    """``REALTIME_SOCKJS_DJANGO_THREADS``: threads serving Django under ``runsocket --django``."""
    return int(_number("REALTIME_SOCKJS_DJANGO_THREADS", 1, "set a number of threads, e.g. 4."))


def sockjs_xheaders() -> bool:
    """``REALTIME_SOCKJS_XHEADERS``: believe ``X-Forwarded-For``/``-Proto`` (behind a proxy only)."""
    return bool(get("REALTIME_SOCKJS_XHEADERS"))


def sockjs_client_url() -> str | None:
    """``REALTIME_SOCKJS_CLIENT_URL``: sockjs-client for the iframe transports (None: the vendored one)."""
    return get("REALTIME_SOCKJS_CLIENT_URL") or None


def local_bus_dir() -> str | None:
    """``REALTIME_LOCAL_BUS_DIR``: the directory of the local bus's sockets (None: unset)."""
    return get("REALTIME_LOCAL_BUS_DIR") or None


def check_all() -> None:
    """Validate every setting (called at server start)."""
    max_message_bytes()
    ping_interval()
    ping_timeout()
    connect_timeout()
    presence_ttl()
    event_rate()
    user_event_rate()
    from realtime import limits, outbox

    outbox.max_queued_bytes()
    limits.max_connections_per_ip()
    limits.max_rooms_per_socket()
    socketio_path()
    sockjs_prefix()
    channel_prefix()
    transports()
    sockjs_workers()
    sockjs_django_threads()
    socketio_url()
    sockjs_url()
    backend = bus_backend()
    if backend is not None and hasattr(backend, "check_settings"):
        backend.check_settings()
    from realtime import origins

    origins.allowed_origins()
