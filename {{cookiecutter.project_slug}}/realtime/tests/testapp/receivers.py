"""What the tests talk to: each receiver answers with what the server saw."""

import logging

from django.contrib.auth import get_user_model
from django.dispatch import receiver

import realtime
from realtime.exceptions import AlreadyAcknowledged, ConnectionRefused
from realtime.signals import (
    socket_client_event_by_type,
    socket_client_message,
    socket_connected,
    socket_disconnected,
)

logger = logging.getLogger("realtime.tests")
on = socket_client_event_by_type


def describe(socket):
    user = socket.request.user
    return {
        "sid": socket.sid,
        "session_id": socket.session.session_id,
        "transport": socket.transport,
        "user": user.get_username() if user.is_authenticated else None,
        "connected": socket in realtime.connected_sockets,
        "rooms": sorted(socket.rooms),
    }


@receiver(socket_connected)
def connected(sender, request, **kwargs):
    if request.GET.get("refuse"):
        raise ConnectionRefused("refused by test receiver")
    if request.GET.get("private") and not request.user.is_authenticated:
        raise ConnectionRefused("login required")
    if request.GET.get("crash_connect"):
        raise RuntimeError("connect receiver crashed")
    if request.GET.get("disconnect"):
        sender.disconnect()  # the server ends the session while it connects
        return
    sender.join("observers") if request.GET.get("observer") else None
    # django-realtime's README: print the session id on connect
    print(f"{sender.session.session_id} connected", flush=True)
    sender.emit("welcome", describe(sender))


@receiver(socket_disconnected)
def disconnected(sender, request, **kwargs):
    print(f"{sender.session.session_id} disconnected", flush=True)
    realtime.emit("gone", sender.sid, room="observers")


@receiver(socket_client_message)
def message(sender, request, message, **kwargs):
    sender.send({"echo": message})


@receiver(on["echo"])
def echo(sender, request, event, **kwargs):
    return tuple(event.args)


@receiver(on["whoami"])
def whoami(sender, request, event, **kwargs):
    return describe(sender)


@receiver(on["readme_ack"])
def readme_ack(sender, request, event, **kwargs):
    # as written in django-realtime's README (acknowledgeable without the call is truthy)
    if event.acknowledgeable:
        event.ack("I have received your message!")


@receiver(on["double_ack"])
def double_ack(sender, request, event, **kwargs):
    event.ack("first")
    try:
        event.ack("second")
    except AlreadyAcknowledged:
        sender.emit("double_ack_refused", True)


@receiver(on["join"])
def join(sender, request, event, **kwargs):
    sender.join(event.data)
    return sorted(sender.rooms)


@receiver(on["leave"])
def leave(sender, request, event, **kwargs):
    sender.leave(event.data)
    return sorted(sender.rooms)


@receiver(on["presence"])
def presence(sender, request, event, **kwargs):
    """Who is in the room ``event.data``, in every process: ``[[sid, transport], ...]``."""
    return sorted([m["sid"], m["transport"]] for m in realtime.presence(event.data))


@receiver(on["broadcast"])
def broadcast(sender, request, event, **kwargs):
    sender.broadcast_emit("broadcast", event.data)


@receiver(on["broadcast_send"])
def broadcast_send(sender, request, event, **kwargs):
    sender.broadcast_send(event.data)


@receiver(on["to_room"])
def to_room(sender, request, event, **kwargs):
    room, payload = event.args
    realtime.emit("room_message", payload, room=room)


@receiver(on["send_me"])
def send_me(sender, request, event, **kwargs):
    sender.send(event.data)


@receiver(on["server_emit_with_ack"])
def server_emit_with_ack(sender, request, event, **kwargs):
    def got(*args):
        sender.emit("client_acked", list(args))

    sender.emit("please_ack", event.data, callback=got)


@receiver(on["boom"])
def boom(sender, request, event, **kwargs):
    raise RuntimeError("receiver exploded on purpose")


@receiver(on["refuse_me"])
def refuse_me(sender, request, event, **kwargs):
    """A receiver's refusal: the ack the browser clients turn into an Error with .code."""
    return {"error": "not_allowed", "message": "refused on purpose", "retry_after": 3}


@receiver(on["kick"])
def kick(sender, request, event, **kwargs):
    sender.disconnect()


@receiver(on["db_write"])
def db_write(sender, request, event, **kwargs):
    """ORM writes and a read, as a receiver in a real app would."""
    User = get_user_model()
    User.objects.create(username=str(event.data)[:150])
    return User.objects.filter(username__startswith="db-").count()


@receiver(on["db_slow"])
def db_slow(sender, request, event, **kwargs):
    """A write, then a query that keeps the database busy for a while (off the loop)."""
    from django.db import connection

    User = get_user_model()
    User.objects.create(username=str(event.data)[:150])
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) FROM c"
        )
        cursor.fetchone()
    return User.objects.filter(username__startswith="slow-").count()


@receiver(on["nap"])
def nap(sender, request, event, **kwargs):
    """Sleep (yielding to other sockets under gevent): events keep their order per socket."""
    import time

    time.sleep(min(float(event.data or 0), 2))
    return "rested"
