"""Middleware for running behind a reverse proxy (HAProxy in ``deploy/``).

``HealthCheckMiddleware`` answers ``GET /healthz`` before anything else runs.
HAProxy checks every process directly (``127.0.0.1:<port>``) with a Host
header that is not the public site's; Django's host validation
(``ALLOWED_HOSTS``) and the HTTPS redirect must not turn a live process into
a "down" one. Put it first in ``MIDDLEWARE``.

``ForwardedMiddleware`` decides whom to believe about the client. The proxy
sets ``X-Forwarded-For`` (the client's address) and ``X-Forwarded-Proto``
(http or https), but any client can send those headers too. So they are
believed only when the request comes from an address in
``REALTIME_TRUSTED_PROXIES`` (IPs or networks, default ``127.0.0.1`` and
``::1``): then ``REMOTE_ADDR`` becomes the client's address. From anyone
else they are removed, so ``SECURE_PROXY_SSL_HEADER`` cannot be spoofed by a
client that reaches a process directly. The socket transports apply the same
rule to their handshakes (:func:`apply_forwarded`, used by
:mod:`realtime.requests`).
"""

import ipaddress
import logging
from functools import lru_cache

from realtime import conf

logger = logging.getLogger("realtime")

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_FORWARDED",
)


@lru_cache(maxsize=8)
def _networks(entries):
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.warning("REALTIME_TRUSTED_PROXIES: %r is not an IP address or network; ignored", entry)
    return tuple(networks)


def trusted_networks():
    entries = conf.get("REALTIME_TRUSTED_PROXIES")
    if isinstance(entries, str):
        entries = entries.split(",")
    return _networks(tuple(e for e in entries if e and e.strip()))


def is_trusted(address):
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted_networks())


def apply_forwarded(meta):
    """Believe the forwarded headers in ``meta`` (a WSGI environ) only from a trusted proxy.

    From a trusted peer, ``REMOTE_ADDR`` becomes the rightmost address of
    ``X-Forwarded-For`` that is not itself a trusted proxy (the proxy
    appends what it saw, so entries to its left are the client's claims).
    From any other peer the forwarded headers are deleted. Returns ``meta``.
    """
    if not is_trusted(meta.get("REMOTE_ADDR")):
        for name in FORWARDED_HEADERS:
            meta.pop(name, None)
        return meta
    chain = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for address in reversed(chain):
        if not is_trusted(address):
            meta["REALTIME_PROXY_ADDR"] = meta.get("REMOTE_ADDR")
            meta["REMOTE_ADDR"] = address
            break
    return meta


class ForwardedMiddleware:
    """Apply :func:`apply_forwarded` to each request (first in ``MIDDLEWARE``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        apply_forwarded(request.META)
        return self.get_response(request)


class HealthCheckMiddleware:
    """Answer ``GET /healthz`` whatever the Host header or scheme (for HAProxy's checks)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            from realtime.views import healthz

            return healthz(request)
        return self.get_response(request)
