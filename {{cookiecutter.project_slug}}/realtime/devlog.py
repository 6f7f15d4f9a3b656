"""One log line per HTTP request and per socket connect/disconnect, under ``manage.py rundev``.

``runserver`` shows each request as it happens; the servers ``rundev``
starts do the same, so a developer sees what a page did without a proxy's
log. ``rundev`` sets ``REALTIME_DEV_LOG=1`` for them; anywhere else
(production, tests) nothing here runs: the middleware removes itself at
start-up (``MiddlewareNotUsed``) and no receiver is connected.

Transport requests (Socket.IO polls, SockJS frames) are not Django requests
and are not logged one by one, or a polling client would flood the log; the
socket's connect and disconnect are logged instead.

The lines go to the ``realtime.dev`` logger at INFO (stdout with the
project's ``LOGGING``)::

    "GET /chat/ HTTP/1.1" 200 12.3 ms
    socket connected: a1b2c3 (socketio, endpoint /) from 127.0.0.1
    socket disconnected: a1b2c3 (socketio) after 8.2 s
"""

import logging
import os
import time

from django.core.exceptions import MiddlewareNotUsed

logger = logging.getLogger("realtime.dev")

ENV_VAR = "REALTIME_DEV_LOG"


def enabled():
    return os.environ.get(ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on")


class RequestLogMiddleware:
    """First in ``MIDDLEWARE``, so it times the whole response (static files served by WhiteNoise too)."""

    def __init__(self, get_response):
        if not enabled():
            raise MiddlewareNotUsed("request log: only under manage.py rundev")
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        log_request(request, response.status_code, time.monotonic() - started)
        return response


def log_request(request, status, seconds):
    protocol = request.META.get("SERVER_PROTOCOL", "HTTP/1.1")
    line = f'"{request.method} {request.get_full_path()} {protocol}" {status} {seconds * 1000:.1f} ms'
    level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    logger.log(level, line)


_connected_at = {}


def _on_connect(sender, request=None, **kwargs):
    _connected_at[sender.sid] = time.monotonic()
    address = request.META.get("REMOTE_ADDR", "?") if request is not None else "?"
    logger.info("socket connected: %s (%s, endpoint %s) from %s", sender.sid, sender.transport, sender.endpoint,
                address)


def _on_disconnect(sender, **kwargs):
    started = _connected_at.pop(sender.sid, None)
    lasted = f" after {time.monotonic() - started:.1f} s" if started is not None else ""
    logger.info("socket disconnected: %s (%s)%s", sender.sid, sender.transport, lasted)


def install():
    """Connect the socket receivers (from ``RealtimeConfig.ready``), when enabled."""
    if not enabled():
        return
    from realtime import signals

    signals.socket_connected.connect(_on_connect, dispatch_uid="realtime.devlog.connect")
    signals.socket_disconnected.connect(_on_disconnect, dispatch_uid="realtime.devlog.disconnect")
