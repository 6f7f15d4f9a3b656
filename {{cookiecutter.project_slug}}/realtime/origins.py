"""Which browser origins may open a socket.

Browsers send ``Origin`` with every websocket and cross-site request; a page
on another site, or on another port or scheme of our own host (another
service, a dev server, plain http next to https), must not be able to open
a socket that carries our users' cookies. Cookies are shared by every port of
a host, so an origin is compared whole: scheme, host and port.

By default a page may connect to the origin it was served from (same
origin): the ``Origin`` must equal the scheme, host and port of the request
itself, as Django sees them: ``X-Forwarded-Proto`` counts only through
``SECURE_PROXY_SSL_HEADER``, ``X-Forwarded-Host`` only with
``USE_X_FORWARDED_HOST``, both only from ``REALTIME_TRUSTED_PROXIES``
(:func:`realtime.middleware.apply_forwarded`), and the host must be one
``ALLOWED_HOSTS`` accepts. Each origin in ``CSRF_TRUSTED_ORIGINS`` is
allowed too. ``REALTIME_ALLOWED_ORIGINS`` replaces all of that with an
explicit list of full origins (``["https://example.com:8443"]``), or
``["*"]`` to allow every origin (which you should not). ``ALLOWED_HOSTS =
["*"]`` says nothing about origins.

``ws://`` and ``wss://`` count as ``http://`` and ``https://`` of the same
host and port. Clients that send no ``Origin`` (servers, scripts) are not
browsers and cannot carry a victim's cookies, so they are allowed.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest

from realtime import conf
from realtime.middleware import apply_forwarded

_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize(origin):
    """``(scheme, host, port)`` of an origin, lower-cased, ws mapped to http; None if not one."""
    if not origin or not isinstance(origin, str):
        return None
    try:
        parts = urlsplit(origin.strip().rstrip("/"))
        scheme = _SCHEMES.get(parts.scheme.lower())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if scheme is None or not parts.hostname or parts.path or parts.query or parts.username:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


WEBSOCKET_SCHEMES = {"ws": "http", "wss": "https"}


def allowed_origins():
    """The explicit list (normalized, or ``["*"]``), or None when the default (same origin) applies."""
    value = conf.get("REALTIME_ALLOWED_ORIGINS")
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(o, str) for o in value):
        raise ImproperlyConfigured(
            "REALTIME_ALLOWED_ORIGINS must be a list of origins like ['https://example.com:8443'] (or ['*'])."
        )
    if "*" in value:
        return ["*"]
    result = []
    for entry in value:
        origin = normalize(entry)
        if origin is None:
            raise ImproperlyConfigured(
                f"REALTIME_ALLOWED_ORIGINS: {entry!r} is not an origin; write scheme://host[:port], "
                "e.g. 'https://example.com:8443', with no path."
            )
        result.append(origin)
    return result


class _Handshake(HttpRequest):
    """An ``HttpRequest`` over a WSGI environ, for Django's own ``scheme`` and ``get_host()``."""

    def __init__(self, environ):
        super().__init__()
        self.META = environ

    def _get_scheme(self):
        return self.META.get("wsgi.url_scheme", "http")


def request_origin(environ):
    """``(scheme, host, port)`` the request itself was made to, or None if its host is not allowed.

    ``environ`` is a WSGI environ (``realtime.requests.environ_from_headers``
    builds one for tornado); it is not changed.
    """
    request = _Handshake(apply_forwarded(dict(environ)))
    try:
        host = request.get_host()  # ALLOWED_HOSTS, USE_X_FORWARDED_HOST, as for any page
    except (DisallowedHost, KeyError):  # KeyError: an environ without Host or SERVER_NAME
        return None
    return normalize(f"{request.scheme}://{host}")


def origin_allowed(origin, environ):
    """True if a browser page at ``origin`` may connect with this request (its WSGI ``environ``)."""
    if not origin:
        return True
    explicit = allowed_origins()
    if explicit == ["*"]:
        return True
    wanted = normalize(origin)
    if wanted is None:  # "null" (sandboxed frames, file: pages) or garbage
        return False
    if explicit is not None:
        return wanted in explicit
    trusted = [normalize(o) for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]
    return wanted in trusted or wanted == request_origin(environ)
