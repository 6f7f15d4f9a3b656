"""The reference server's handlers (socket.io-protocol's README), as signal receivers."""

from django.dispatch import receiver

from realtime.signals import socket_client_event_by_type, socket_client_message, socket_connected


@receiver(socket_connected)
def greet(sender, request, **kwargs):
    # Emitted while the client is still connecting: it must arrive after CONNECT.
    sender.emit("auth", getattr(sender, "auth", None) or {})
    if request.GET.get("burst"):
        for i in range(int(request.GET["burst"])):
            sender.emit("burst", i)


@receiver(socket_client_message)
def message_back(sender, request, message, **kwargs):
    # The client's emit("message", *args) arrives as one message (a list when several).
    args = message if isinstance(message, list) else [message]
    sender.emit("message-back", *args)


@receiver(socket_client_event_by_type["message-with-ack"])
def message_with_ack(sender, request, event, **kwargs):
    event.ack(*event.args)
