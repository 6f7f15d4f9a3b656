"""``{% load realtime %}{% realtime_client_script %}``: the browser side of realtime.

Emits a JSON element (``#realtime-config``, read by ``realtime.js`` into
``Realtime.config``), ``realtime-core.js`` (what the clients share), then
for each transport of ``REALTIME_TRANSPORTS`` its vendored client library
and our adapter, then ``realtime.js``
(``Realtime.connect()``). No inline JavaScript, so a strict
Content-Security-Policy needs no exception.

``REALTIME_SOCKETIO_URL`` / ``REALTIME_SOCKJS_URL`` point the browser at a
socket server on another origin (e.g. a development setup where SockJS runs
on a second port); by default it connects to the page's own origin.
"""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join, json_script

from realtime import conf
from realtime.transports import catalog

register = template.Library()

#: The files of each transport, in load order (from its catalog entry).
SCRIPTS = {name: entry["scripts"] for name, entry in catalog.TRANSPORTS.items()}


def transports():
    """The project's transports, in its order of preference."""
    return [t for t in conf.transports() if t in SCRIPTS]


def client_config(only=None):
    """What ``Realtime.config`` holds (JSON-safe)."""
    return {
        "transports": only or transports(),
        "socketioPath": "/" + conf.socketio_path(),
        "socketioUrl": conf.socketio_url(),
        "sockjsUrl": conf.sockjs_url() or conf.sockjs_prefix(),
    }


def script_tags(names):
    """The config element and the script tags for ``names`` (transports)."""
    files = ["realtime/realtime-core.js"] + [f for name in names for f in SCRIPTS[name]] + ["realtime/realtime.js"]
    return format_html(
        "{}\n{}",
        json_script(client_config(names), "realtime-config"),
        format_html_join("\n", '<script src="{}"></script>', ((static(f),) for f in files)),
    )


@register.simple_tag
def realtime_client_script():
    return script_tags(transports())
