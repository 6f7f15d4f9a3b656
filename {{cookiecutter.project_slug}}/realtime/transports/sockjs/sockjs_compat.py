"""Every reach-in into sockjs-tornado's internals, in one place.

sockjs-tornado 1.0.7 (pinned: it is the last release) has defects that
:mod:`.handlers`, :mod:`.legacy` and :mod:`.session` work around by
subclassing; the private names they override, call or read are listed in
:data:`REQUIRED` and checked by :func:`check_library` (at start-up, by
``build_routers``, and by ``test_sockjs_unit``): a different sockjs-tornado
fails loudly, naming this file, instead of silently undoing a fix.

:func:`replace_routes`: a router's URL table is built in its constructor
(``_transport_urls``, read through the public ``urls``); we swap each
handler for its hardened subclass and drop disabled transports' routes.
"""

from sockjs.tornado import SockJSRouter
from sockjs.tornado.transports import pollingbase, rawwebsocket, websocket

#: (owner, attribute) pairs our subclasses override, call or read.
REQUIRED = (
    (pollingbase.PollingTransportBase, "_get_session"),
    (pollingbase.PollingTransportBase, "_attach_session"),
    (pollingbase.PollingTransportBase, "_detach"),
    (websocket.WebSocketTransport, "_detach"),
    (rawwebsocket.RawWebSocketTransport, "_detach"),
    (SockJSRouter, "urls"),
)
#: Attributes set on instances in ``__init__``: checked on a router and a ``Session``.
REQUIRED_ON_INSTANCES = (("SockJSRouter()", "_transport_urls"), ("Session()", "_verify_ip"))


def check_library(router=None, session=None):
    """Raise ``RuntimeError`` naming what sockjs-tornado no longer has.

    With a ``router`` and a ``session`` (a ``Session``), also what they set
    in their constructors (the unit test passes them; a router starts timers,
    so start-up checks the classes only, and :func:`replace_routes` its router).
    """
    missing = [f"{owner.__name__}.{name}" for owner, name in REQUIRED if not hasattr(owner, name)]
    instances = {"SockJSRouter()": router, "Session()": session}
    missing += [
        f"{what}.{name}"
        for what, name in REQUIRED_ON_INSTANCES
        if instances[what] is not None and not hasattr(instances[what], name)
    ]
    if missing:
        raise RuntimeError(
            f"sockjs-tornado lacks {', '.join(missing)}: realtime/transports/sockjs/sockjs_compat.py must be "
            "updated for it (or pin sockjs-tornado==1.0.7 as pyproject.toml does)."
        )


def replace_routes(router, routes):
    """Make ``routes`` (``(pattern, handler, kwargs)`` tuples) the router's URL table."""
    if not hasattr(router, "_transport_urls"):
        check_library(router=router)
    router._transport_urls = list(routes)
