"""The ``CLIENTSIGNAL_*`` settings (Django Client Signals' names, kept).

``CLIENTSIGNAL_CONNECTIONS``      ``{url: dotted class}``: each URL is a SockJS
                                  prefix and a Socket.IO namespace.
``CLIENTSIGNAL_BACKEND``          Django Client Signals' backend URL. A networked bus
                                  (``REALTIME_BUS_BACKEND``) must be
                                  configured: that bus reads and validates the
                                  URL (its ``check_settings``, at server
                                  start), so all its parts (user, password,
                                  host, port, db) count.
``CLIENTSIGNAL_BACKEND_OPTIONS``  ``{"CHANNEL_PREFIX": ...}`` (bus channels).
``CLIENTSIGNAL_JSON_ENCODER``     dotted ``json.JSONEncoder`` subclass.
``CLIENTSIGNAL_JSON_OBJECT_HOOK`` dotted function for decoding client data.

A connection class may set ``json_encoder`` / ``json_object_hook`` (a class
or function, or a dotted path) to override the last two for its URL.
"""

import json

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from realtime import conf


def _load(value, setting):
    if value is None or not isinstance(value, str):
        return value
    try:
        return import_string(value)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting} {value!r} cannot be imported: {exc}") from None


def connection_paths():
    value = conf.get("CLIENTSIGNAL_CONNECTIONS") or {}
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            "CLIENTSIGNAL_CONNECTIONS must be a dict such as {'/simple': 'myapp.PingSignalConnection'}."
        )
    for url, path in value.items():
        if not isinstance(url, str) or not url.startswith("/") or url == "/" or url != url.rstrip("/"):
            raise ImproperlyConfigured(
                f"CLIENTSIGNAL_CONNECTIONS: {url!r} must be a path such as '/simple' (no trailing slash)."
            )
        if not isinstance(path, (str, type)):
            raise ImproperlyConfigured(f"CLIENTSIGNAL_CONNECTIONS[{url!r}] must be a dotted class path.")
    return dict(value)


def load_class(url, path):
    return _load(path, f"CLIENTSIGNAL_CONNECTIONS[{url!r}]")


def json_encoder(cls=None):
    value = getattr(cls, "json_encoder", None) or conf.get("CLIENTSIGNAL_JSON_ENCODER")
    encoder = _load(value, "CLIENTSIGNAL_JSON_ENCODER")
    if encoder is not None and not (isinstance(encoder, type) and issubclass(encoder, json.JSONEncoder)):
        raise ImproperlyConfigured(f"CLIENTSIGNAL_JSON_ENCODER must name a json.JSONEncoder subclass, not {value!r}.")
    return encoder


def json_object_hook(cls=None):
    value = getattr(cls, "json_object_hook", None) or conf.get("CLIENTSIGNAL_JSON_OBJECT_HOOK")
    hook = _load(value, "CLIENTSIGNAL_JSON_OBJECT_HOOK")
    if isinstance(hook, staticmethod):
        hook = hook.__func__
    if hook is not None and not callable(hook):
        raise ImproperlyConfigured(f"CLIENTSIGNAL_JSON_OBJECT_HOOK must name a function, not {value!r}.")
    return hook


def check_backend():
    """Validate ``CLIENTSIGNAL_BACKEND`` against the configured bus."""
    url = conf.get("CLIENTSIGNAL_BACKEND")
    if not url:
        return None
    backend = conf.bus_backend()
    if backend is None:
        raise ImproperlyConfigured(
            "CLIENTSIGNAL_BACKEND is set but REALTIME_BUS_BACKEND is not: signals would stay in one "
            "process. Set REALTIME_BUS_BACKEND to a networked bus, or remove CLIENTSIGNAL_BACKEND."
        )
    check = getattr(backend, "check_settings", None)
    if check is not None:
        check()
    return url


def check_all():
    connection_paths()
    json_encoder()
    json_object_hook()
    check_backend()
    options = conf.get("CLIENTSIGNAL_BACKEND_OPTIONS") or {}
    if not isinstance(options, dict) or set(options) - {"CHANNEL_PREFIX"}:
        raise ImproperlyConfigured("CLIENTSIGNAL_BACKEND_OPTIONS accepts only {'CHANNEL_PREFIX': '...'}.")
