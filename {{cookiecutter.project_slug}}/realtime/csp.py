"""``Content-Security-Policy`` on every Django page (Django 5.2 has no CSP of its own).

The policy allows this site's own scripts, styles, images, frames and
connections, and nothing inline except a ``<style>`` block that carries the
request's nonce (``<style nonce="{{ request.csp_nonce }}">``); a script or
style injected into a page (an XSS that got past the escaping) does not run.
Sockets: ``'self'`` covers ``ws(s)://`` of this origin; the origins of
``REALTIME_SOCKJS_URL`` / ``REALTIME_SOCKETIO_URL`` (``rundev`` serves SockJS
on the next port) are added to ``connect-src`` and ``frame-src`` (SockJS's
iframe fallback). ``frame-ancestors`` follows ``X_FRAME_OPTIONS`` (``DENY``:
``'none'``, ``SAMEORIGIN``: ``'self'``), so the two headers never disagree.

``REALTIME_CSP`` (a dict of directive -> list of sources) replaces single
directives, e.g. ``{"img-src": ["'self'", "https://images.example.com"]}``;
``REALTIME_CSP = None`` turns the header off. A response that already has a
``Content-Security-Policy`` keeps it. Put the middleware right after
``SecurityMiddleware``.

With ``DEBUG`` on, a 404 or 500 is Django's technical page (inline styles
and scripts, development only): it is sent without the header, so it stays
readable; with ``DEBUG`` off the project's own 404.html/500.html get it.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from realtime import conf

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
_WS = {"http": "ws", "https": "wss"}


def _socket_origins():
    """Where pages connect when it is not this origin, with their websocket scheme too."""
    found = []
    for url in (conf.sockjs_url(), conf.socketio_url()):
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts and parts.scheme in _WS and parts.netloc:
            found += [f"{parts.scheme}://{parts.netloc}", f"{_WS[parts.scheme]}://{parts.netloc}"]
    return found


def policy(nonce):
    """The header's value for one response."""
    overrides = conf.get("REALTIME_CSP")
    directives = {name: list(sources) for name, sources in BASE_POLICY.items()}
    extra = _socket_origins()
    directives["connect-src"] += extra
    directives["frame-src"] += [o for o in extra if not o.startswith("ws")]
    directives["style-src"].append(f"'nonce-{nonce}'")
    framing = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()
    directives["frame-ancestors"] = ["'self'"] if framing == "SAMEORIGIN" else ["'none'"]
    directives.update({name: list(sources) for name, sources in overrides.items()})
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = SimpleLazyObject(lambda: nonce)
        response = self.get_response(request)
        debug_page = settings.DEBUG and response.status_code in (404, 500)
        if conf.get("REALTIME_CSP") is not None and "Content-Security-Policy" not in response:
            if debug_page:
                return response
            response["Content-Security-Policy"] = policy(nonce)
        return response
