"""``{% load clientsignal %}{% clientsignal_js %}``: the browser side of client signals.

Emits, in order: a JSON config element (``#clientsignal-config``: the
project's transports and where each one listens), ``realtime-core.js``, the
vendored client library of each transport the project serves
(sockjs-client and/or socket.io-client) with our adapter (which shares one
connection per transport between every endpoint of the page), and
``clientsignal.js`` (``SignalSocket``). No inline JavaScript, so a strict
Content-Security-Policy needs no exception.

``REALTIME_SOCKJS_URL`` / ``REALTIME_SOCKETIO_URL`` (absolute URLs) point
the browser at socket servers on another origin (e.g. ``rundev``'s second
port); by default it connects to the page's own origin.
"""

from urllib.parse import urlsplit

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join, json_script

from realtime import conf
from realtime.transports import catalog

register = template.Library()

#: Each transport's vendored browser library (from its catalog entry).
LIBRARIES = {name: entry["library"] for name, entry in catalog.TRANSPORTS.items()}
#: What shares one connection per transport between every endpoint of the page (catalog too).
ADAPTERS = {name: entry["adapter"] for name, entry in catalog.TRANSPORTS.items()}


def _origin(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def client_config():
    """What ``SignalSocket.config`` holds (JSON-safe)."""
    transports = [t for t in conf.transports() if t in LIBRARIES]
    return {
        "transports": transports,
        "sockjsBase": _origin(conf.sockjs_url()),
        "sockjsUrl": conf.sockjs_url() or conf.sockjs_prefix(),
        "socketioBase": _origin(conf.socketio_url()),
        "socketioPath": conf.socketio_path(),
    }


@register.simple_tag
def clientsignal_js():
    config = client_config()
    files = ["realtime/realtime-core.js"] + [f for t in config["transports"] for f in (LIBRARIES[t], ADAPTERS[t])]
    scripts = [static(f) for f in files + ["realtime/clientsignal.js"]]
    return format_html(
        "{}\n{}",
        json_script(config, "clientsignal-config"),
        format_html_join("\n", '<script src="{}"></script>', ((src,) for src in scripts)),
    )
