"""A Django ``HttpRequest`` for a socket, built as Django's middleware would.

Transports hand us the WSGI environ of the handshake (Socket.IO) or the
headers and cookies of it (SockJS). ``request.session`` comes from
``SESSION_ENGINE`` with the cookie named by ``SESSION_COOKIE_NAME``, and
``request.user`` from ``django.contrib.auth``, so whatever backend a project
configured (db, cache, signed cookies) is honoured.

The user is resolved once, at connect time, in the thread that runs the
connect receivers: never on an event loop.
"""

import io
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest

from realtime.middleware import apply_forwarded


#: The handshake has no body; every socket's request reads this empty stream.
_NO_BODY = io.BytesIO(b"")


def request_from_environ(environ):
    """An ``HttpRequest`` for a WSGI environ, with session and user attached.

    The request lives as long as the socket, so it keeps only the environ's
    string entries (headers, path, query, addresses, scheme): not the
    server's objects (``wsgi.input``/``errors``, the websocket, gevent's
    handler), which would cost every idle connection memory.
    """
    environ = {k: v for k, v in environ.items() if type(v) is str}
    environ.setdefault("REQUEST_METHOD", "GET")
    environ.setdefault("PATH_INFO", "/")
    environ.setdefault("SERVER_NAME", "localhost")
    environ.setdefault("SERVER_PORT", "80")
    environ.setdefault("wsgi.url_scheme", "http")
    environ["wsgi.input"] = _NO_BODY  # the handshake body is not ours to read
    environ["CONTENT_LENGTH"] = "0"
    apply_forwarded(environ)  # X-Forwarded-* believed only from REALTIME_TRUSTED_PROXIES
    request = WSGIRequest(environ)
    del environ["wsgi.input"]
    attach_session_and_user(request)
    return request


def environ_from_headers(path, query_string, headers, remote_addr, scheme="http"):
    """A minimal WSGI environ from an HTTP request's parts (for tornado)."""
    host = headers.get("Host", "localhost")
    name, _, port = host.partition(":")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query_string or "",
        "REMOTE_ADDR": remote_addr or "",
        "SERVER_NAME": name or "localhost",
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "wsgi.url_scheme": scheme,
    }
    for key, value in headers.items():
        key = key.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ["HTTP_" + key] = value
    return environ


def attach_session_and_user(request):
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    if apps.is_installed("django.contrib.auth"):
        from django.contrib.auth import get_user

        request.user = get_user(request)
    else:
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
    return request
