"""The reference server's handlers (socket.io-protocol's README), as signal receivers."""

from django.dispatch import receiver

import realtime

from realtime.exceptions import ConnectionRefused
from realtime.signals import socket_client_event_by_type, socket_client_message, socket_connected


@receiver(socket_connected)
def greet(sender, request, **kwargs):
    if request.GET.get("refuse"):
        raise ConnectionRefused(request.GET["refuse"])  # the client must see this reason
    # Emitted while the client is still connecting: it must arrive after CONNECT.
    sender.emit("auth", getattr(sender, "auth", None) or {})
    if request.GET.get("burst"):
        for i in range(int(request.GET["burst"])):
            sender.emit("burst", i)
    if request.GET.get("ask"):  # an event the client must ack, sent while connecting
        sender.emit("question", request.GET["ask"], callback=lambda *args: sender.emit("answered", *args))
    if request.GET.get("room"):  # through the bus, as any code's realtime.emit(room=...)
        sender.join(request.GET["room"])
        realtime.emit("room_hello", request.GET["room"], room=request.GET["room"], endpoint=sender.endpoint)


@receiver(socket_client_message)
def message_back(sender, request, message, **kwargs):
    # The client's emit("message", *args) arrives as one message (a list when several).
    args = message if isinstance(message, list) else [message]
    sender.emit("message-back", *args)


@receiver(socket_client_event_by_type["message-with-ack"])
def message_with_ack(sender, request, event, **kwargs):
    event.ack(*event.args)


@receiver(socket_client_event_by_type["ask"])
def ask(sender, request, event, **kwargs):
    """A server-to-client ack: emit ``question`` with a callback, report the answer as ``answered``."""

    def answered(*args):
        sender.emit("answered", *args)

    sender.emit("question", *event.args, callback=answered)
