"""The landing page: the project's name, what is running, links to the examples, the dashboard and the admin."""

import logging
from dataclasses import dataclass

from django.apps import apps
from django.shortcuts import render

from realtime import conf, stats

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    app: str
    prefix: str
    title: str
    summary: str


EXAMPLES = (
    Example("chat", "chat/", "Chat", "Rooms, nicknames, history and presence, over either transport."),
    Example(
        "pingpong",
        "pingpong/",
        "Ping/pong",
        "Client signals: a ping goes in as a Django signal, the pong comes back to the pinger.",
    ),
)

TRANSPORT_NAMES = {"socketio": "Socket.IO", "sockjs": "SockJS"}


def transports():
    """``[(name, where browsers connect)]`` for each transport this project serves."""
    where = {
        "socketio": conf.socketio_url() + "/" + conf.socketio_path() + "/",
        "sockjs": conf.sockjs_url() or conf.sockjs_prefix(),
    }
    served = conf.transports()
    return [{"name": TRANSPORT_NAMES.get(t, t), "url": where.get(t, "")} for t in served]


def running():
    """Every socket process's latest figures; the page still renders if the bus cannot answer."""
    try:
        return stats.gather()
    except Exception:
        logger.exception("landing page: the bus could not report; showing the page without figures")
        return None


def home(request):
    examples = [example for example in EXAMPLES if apps.is_installed(example.app)]
    return render(
        request,
        "landing.html",
        {"examples": examples, "transports": transports(), "running": running()},
    )
