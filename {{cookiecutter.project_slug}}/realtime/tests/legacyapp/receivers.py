# ruff: noqa
"""Verbatim from the django-realtime README ("Events" / "Usage"), plus its
``connected_sockets`` listing wrapped in a receiver so a test can trigger it."""

from django.dispatch import receiver
from realtime.signals import socket_connected, socket_disconnected, socket_client_message, socket_client_event
@receiver(socket_connected)
def handle_connected(sender, request, **kwargs):
    socket = sender
    print('{0} connected'.format(socket.session.session_id))

@receiver(socket_disconnected)
def handle_disconnected(sender, request, **kwargs):
    socket = sender
    print('{0} disconnected'.format(socket.session.session_id))

@receiver(socket_client_message)
def handle_message(sender, request, message, **kwargs):
    socket = sender
    print('{0} => message {1!r}'.format(socket.session.session_id, message))


@receiver(socket_client_event)
def handle_event(sender, request, event, **kwargs):
    socket = sender
    print('{0} => event {1!r} ({2!r})'.format(socket.session.session_id, event.name, event.data))
    
    if event.acknowledgeable:
        event.ack('I have received your message!')


from realtime.signals import socket_client_event_by_type


@receiver(socket_client_event_by_type["list_sockets"])
def list_sockets(sender, request, event, **kwargs):
    # the README's "Current connections" example, as written:
    from realtime import connected_sockets

    print('Connected sockets:')
    for socket in connected_sockets:
        print('- {0}'.format(socket.session.session_id))
