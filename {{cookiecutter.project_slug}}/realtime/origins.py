"""Which browser origins may open a socket.

Browsers send ``Origin`` with every websocket and cross-site request; a page
on another site must not be able to open a socket that carries our users'
cookies. By default the allowed origins follow the settings Django already
has: any scheme and port of a host in ``ALLOWED_HOSTS``, plus each exact
origin in ``CSRF_TRUSTED_ORIGINS``. ``REALTIME_ALLOWED_ORIGINS`` replaces
that with an explicit list (``["https://example.com"]``, or ``["*"]`` to
allow every origin, which you should not).

Non-browser websocket clients may send the websocket URL's origin
(``ws://host``, ``wss://host``): it counts as ``http://host`` and
``https://host``.

Clients that send no ``Origin`` (servers, scripts) are not browsers and
cannot carry a victim's cookies, so they are allowed.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http.request import split_domain_port, validate_host


WEBSOCKET_SCHEMES = {"ws": "http", "wss": "https"}


def allowed_origins():
    """The explicit list, or None when the default (ALLOWED_HOSTS) applies."""
    value = getattr(settings, "REALTIME_ALLOWED_ORIGINS", None)
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(o, str) for o in value):
        raise ImproperlyConfigured("REALTIME_ALLOWED_ORIGINS must be a list of origins like 'https://example.com'.")
    return [o.rstrip("/") for o in value]


def origin_allowed(origin):
    """True if a browser page at ``origin`` may connect."""
    if not origin:
        return True
    origin = origin.rstrip("/")
    scheme, sep, rest = origin.partition("://")
    if sep and scheme.lower() in WEBSOCKET_SCHEMES:
        origin = WEBSOCKET_SCHEMES[scheme.lower()] + "://" + rest
    explicit = allowed_origins()
    if explicit is not None:
        return "*" in explicit or origin in explicit
    if origin in [o.rstrip("/") for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    host, _port = split_domain_port(parts.netloc)
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return bool(host) and validate_host(host, hosts)
