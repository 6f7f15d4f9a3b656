"""ASGI entry point: the chat consumer at ``/ws/bench/``, everything else refused."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_chat.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

django_app = get_asgi_application()

from channels_chat.consumers import ChatConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {"http": django_app, "websocket": URLRouter([path("ws/bench/", ChatConsumer.as_asgi())])}
)
