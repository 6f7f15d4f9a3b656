"""The landing page: what this site serves, with links to the installed examples."""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.shortcuts import render


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


def home(request):
    examples = [example for example in EXAMPLES if apps.is_installed(example.app)]
    return render(
        request,
        "landing.html",
        {
            "examples": examples,
            "transports": getattr(settings, "REALTIME_TRANSPORTS", []),
        },
    )
