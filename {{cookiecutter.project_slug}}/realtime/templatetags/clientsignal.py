"""``{% load clientsignal %}{% clientsignal_js %}``: the browser side of client signals.

Emits, in order: a JSON config element (``#clientsignal-config``: the
project's transports and where each one listens), the vendored client
library of each transport the project serves (sockjs-client and/or
socket.io-client), and ``clientsignal.js`` (``SignalSocket``). No inline
JavaScript, so a strict Content-Security-Policy needs no exception.

``REALTIME_SOCKJS_URL`` / ``REALTIME_SOCKETIO_URL`` (absolute URLs) point
the browser at socket servers on another origin (e.g. ``rundev``'s second
port); by default it connects to the page's own origin.
"""

from urllib.parse import urlsplit

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join, json_script

from realtime import conf

register = template.Library()

LIBRARIES = {"sockjs": "realtime/sockjs.min.js", "socketio": "realtime/socket.io.min.js"}


def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def client_config():
    """What ``SignalSocket.config`` holds (JSON-safe)."""
    transports = [t for t in conf.transports() if t in LIBRARIES]
    return {
        "transports": transports,
        "sockjsBase": _origin(conf.sockjs_url()),
        "socketioBase": _origin(conf.socketio_url()),
        "socketioPath": conf.socketio_path(),
    }


@register.simple_tag
def clientsignal_js():
    config = client_config()
    scripts = [static(LIBRARIES[t]) for t in config["transports"]] + [static("realtime/clientsignal.js")]
    return format_html(
        "{}\n{}",
        json_script(config, "clientsignal-config"),
        format_html_join("\n", '<script src="{}"></script>', ((src,) for src in scripts)),
    )
