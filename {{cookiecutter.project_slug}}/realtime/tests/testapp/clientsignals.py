"""Client-signal connections of the tests (mounted by ``settings_clientsignal``).

The first block is Django Client Signals' README snippet, as written there (only
``Signal(providing_args=...)`` is gone: Django 4 removed the argument).
"""

import time

from django.contrib.auth import get_user_model
from django.dispatch import Signal, receiver

from realtime import clientsignal


# -- Django Client Signals' README ----------------------------------------------
class PingSignalConnection(clientsignal.SignalConnection):
    pass


def event_add(self, a, b):
    """An ``event_<name>`` handler (added after the README's snippet, which has none)."""
    self.send_signal("sum", value=a + b)


PingSignalConnection.event_add = event_add


ping = Signal()
pong = Signal()

PingSignalConnection.listen("ping", ping)
PingSignalConnection.broadcast("pong", pong)

clientsignal.broadcast("pong", pong)
clientsignal.listen("ping", ping)


@receiver(ping)
def handle_ping(sender, **kwargs):
    pong.send(sender=None, pong="Ponged")


# -- beyond that README ---------------------------------------------------------------
ping_me = Signal()  # answered to the pinger alone
whoami = Signal()
bad_pong = Signal()  # replies with data JSON cannot carry
boom = Signal()
db_write = Signal()

PingSignalConnection.listen("ping_me", ping_me)
PingSignalConnection.listen("whoami", whoami)
PingSignalConnection.listen("bad_pong", bad_pong)
PingSignalConnection.listen("boom", boom)
PingSignalConnection.listen("db_write", db_write)


@receiver(ping_me)
def handle_ping_me(sender, **kwargs):
    sender.send_signal("pong", pong="just you", sid=sender.socket.sid)


@receiver(whoami)
def handle_whoami(sender, **kwargs):
    user = sender.request.user
    sender.send_signal(
        "you",
        sid=sender.socket.sid,
        user=user.get_username() if user.is_authenticated else None,
        connection=type(sender).__name__,
        kwargs=sorted(kwargs),
    )


@receiver(bad_pong)
def handle_bad_pong(sender, **kwargs):
    pong.send(sender=None, pong=object())


@receiver(boom)
def handle_boom(sender, **kwargs):
    raise RuntimeError("signal receiver exploded on purpose")


@receiver(db_write)
def handle_db_write(sender, name, **kwargs):
    User = get_user_model()
    User.objects.create(username=name[:150])
    sender.send_signal("written", name=name, count=User.objects.filter(username__startswith="sig-").count())


class PrivateConnection(clientsignal.SignalConnection):
    """That README's auth example, fixed: anonymous clients are refused."""

    def on_open(self, request):
        return request.user.is_authenticated

    def event_hello(self, **data):
        self.send_signal("hello", user=self.user.get_username(), data=data, at=time.time())


class PerConnection(clientsignal.SignalConnection):
    """Listeners declared on one connection (instance), not on the class."""

    tick = Signal()

    def on_open(self, request):
        if request.GET.get("listen"):
            self.broadcast("tick", PerConnection.tick)

    def event_fire(self, **data):
        PerConnection.tick.send(sender=None, n=data.get("n"), name="tick")


class ClosingConnection(clientsignal.SignalConnection):
    """Closes itself inside ``on_open`` (a session the server ends at once)."""

    def on_open(self, request):
        self.close()
