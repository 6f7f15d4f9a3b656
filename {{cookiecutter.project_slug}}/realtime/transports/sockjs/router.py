"""One sockjs-tornado router per endpoint, with per-endpoint options.

Endpoints served: the core endpoint at ``REALTIME_SOCKJS_PREFIX`` and every
``CLIENTSIGNAL_CONNECTIONS`` URL. A URL whose class is a plain
sockjs-tornado ``SockJSConnection`` subclass (existing code) is mounted as
is; a ``SignalConnection`` is served through ``realtime.endpoints``.

Options of a router, lowest to highest priority: our defaults;
``REALTIME_SOCKJS_OPTIONS["*"]``; the connection class's ``sockjs_options``;
``REALTIME_SOCKJS_OPTIONS[url]``. Keys: ``disabled_transports``,
``response_limit``, ``heartbeat_delay``, ``disconnect_delay``,
``jsessionid`` (the JSESSIONID sticky-session cookie; default off),
``verify_ip`` (a polling session stays on one client IP; behind a proxy set
``REALTIME_SOCKJS_XHEADERS = True`` so the IP is the client's, not the
proxy's). Every transport is served by default, ``jsonp`` and ``htmlfile``
included (validated callbacks: see ``legacy``); ``disabled_transports``
turns any of them off (``jsonp`` also removes ``jsonp_send``).

Every router uses :class:`~realtime.transports.sockjs.session.RealtimeSession`
(close frames right on every transport) and the ``handlers`` subclasses.
"""

from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from sockjs.tornado import SockJSConnection, SockJSRouter

from realtime import conf, endpoints
from realtime.transports.sockjs.connection import RealtimeConnection
from realtime.transports.sockjs.framing import CoreWire, SignalWire
from realtime.transports.sockjs.handlers import harden
from realtime.transports.sockjs import sockjs_compat
from realtime.transports.sockjs.session import RealtimeSession

TRANSPORT_NAMES = {"websocket", "xhr", "xhr_streaming", "eventsource", "jsonp", "htmlfile"}
OPTION_KEYS = {
    "disabled_transports",
    "response_limit",
    "heartbeat_delay",
    "disconnect_delay",
    "jsessionid",
    "verify_ip",
}
DEFAULTS = {
    "heartbeat_delay": 25,
    "disconnect_delay": 5,
    "response_limit": 128 * 1024,
    "jsessionid": False,
    "verify_ip": True,
}


def check_settings():
    """Validate the SockJS settings (at ``runsocket`` start, before any client)."""
    for name in ("REALTIME_SOCKJS_WORKERS", "REALTIME_SOCKJS_DJANGO_THREADS"):
        value = conf.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ImproperlyConfigured(f"{name} must be a whole number >= 1 (got {value!r}).")
    for prefix, _endpoint, cls, _wire in mounted():
        endpoint_options(prefix, cls)


def sockjs_client_url():
    """Where the iframe transports load sockjs-client from: ours, not a CDN."""
    return conf.sockjs_client_url() or static("realtime/sockjs.min.js")


def endpoint_options(url, connection_class=None):
    """The validated sockjs-tornado settings of the router at ``url``."""
    configured = conf.get("REALTIME_SOCKJS_OPTIONS") or {}
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("REALTIME_SOCKJS_OPTIONS must be a dict of {url or '*': {option: value}}.")
    options = dict(DEFAULTS)
    for layer, where in (
        (configured.get("*"), "REALTIME_SOCKJS_OPTIONS['*']"),
        (
            getattr(connection_class, "sockjs_options", None),
            f"{getattr(connection_class, '__name__', '')}.sockjs_options",
        ),
        (configured.get(url), f"REALTIME_SOCKJS_OPTIONS[{url!r}]"),
    ):
        if not layer:
            continue
        unknown = set(layer) - OPTION_KEYS
        if unknown:
            raise ImproperlyConfigured(f"{where}: unknown option(s) {sorted(unknown)}; known: {sorted(OPTION_KEYS)}.")
        options.update(layer)
    disabled = set(options.get("disabled_transports") or ())
    if not disabled <= TRANSPORT_NAMES:
        raise ImproperlyConfigured(
            f"{url}: unknown transport(s) in disabled_transports: {sorted(disabled - TRANSPORT_NAMES)}."
        )
    for key in ("heartbeat_delay", "disconnect_delay", "response_limit"):
        value = options[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ImproperlyConfigured(f"{url}: SockJS option {key} must be a positive number (got {value!r}).")
    options["disabled_transports"] = sorted(disabled)
    options["sockjs_url"] = sockjs_client_url()
    return options


def mounted():
    """``[(prefix, endpoint, connection class or None, wire class)]`` to serve."""
    from realtime import clientsignal

    found = [(conf.sockjs_prefix(), "/", None, CoreWire)]
    for url, cls in clientsignal.connections().items():
        if isinstance(cls, type) and issubclass(cls, SockJSConnection):
            found.append((url, None, cls, None))
        else:
            found.append((url, url, cls, SignalWire))
    prefixes = [p for p, *_ in found]
    duplicated = {p for p in prefixes if prefixes.count(p) > 1}
    if duplicated:
        raise ImproperlyConfigured(
            f"SockJS prefix(es) {sorted(duplicated)} mounted twice "
            "(REALTIME_SOCKJS_PREFIX vs CLIENTSIGNAL_CONNECTIONS)."
        )
    return found


def build_routers(io_loop):
    """Every endpoint's router, with hardened handlers; returns ``[(prefix, router)]``.

    The multiplexed endpoint (``multiplex``: every endpoint over one connection) comes first.
    """
    from realtime.transports.sockjs import multiplex

    sockjs_compat.check_library()
    routers = [multiplex.build_router(io_loop)]
    for prefix, endpoint, cls, wire in mounted():
        options = endpoint_options(prefix, cls)
        if wire is not None:
            attrs = {"endpoint": endpoint, "wire": endpoint_wire(endpoint, wire), "io_loop": io_loop}
            connection = type(f"RealtimeConnection{prefix.replace('/', '_')}", (RealtimeConnection,), attrs)
        else:
            connection = cls
        routers.append((prefix, hardened_router(connection, prefix, options, io_loop)))
    return routers


def endpoint_wire(endpoint, wire):
    """The wire object of ``endpoint``, with its handler's JSON encoder and object hook."""
    handler = endpoints.get(endpoint)
    return wire(getattr(handler, "json_encoder", None), getattr(handler, "json_object_hook", None))


def hardened_router(connection, prefix, options, io_loop):
    """A sockjs-tornado router at ``prefix`` whose handlers are the ``handlers`` subclasses."""
    router = SockJSRouter(connection, prefix, options, io_loop=io_loop, session_kls=RealtimeSession)
    jsonp_off = "jsonp" in options["disabled_transports"]
    sockjs_compat.replace_routes(
        router,
        [
            (pattern, harden(handler_class), kwargs)
            for pattern, handler_class, kwargs in router.urls
            if not (jsonp_off and pattern.endswith("/jsonp_send$"))
        ],
    )
    return router
