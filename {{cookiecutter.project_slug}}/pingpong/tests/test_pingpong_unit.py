"""The receivers, without a network: a ping answers its sender alone; a
ping-everyone becomes one broadcast envelope on /pingpong."""

import pytest
from django.test import override_settings

from pingpong.signals import ping, ping_everyone, pinged


class FakeConnection:
    def __init__(self):
        self.sent = []

    def send(self, name, **data):
        self.sent.append((name, data))


def test_ping_is_answered_to_the_sender_only():
    pinger = FakeConnection()
    ping.send(sender=pinger, seq=3)
    assert pinger.sent == [("pong", {"seq": 3})]


@pytest.mark.parametrize("seq", ["3", None, True, 1.5, [1]])
def test_ping_with_a_bad_seq_is_dropped(seq):
    pinger = FakeConnection()
    ping.send(sender=pinger, seq=seq)
    assert pinger.sent == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("  Robin   Hood ", "Robin Hood"),
        ("", "someone"),
        (None, "someone"),
        ({"x": 1}, "someone"),
        ("x" * 40, "x" * 24),
    ],
)
def test_ping_everyone_broadcasts_a_clean_name(name, shown):
    got = []

    def spy(sender, signal=None, **data):
        got.append(data)

    pinged.connect(spy)
    try:
        ping_everyone.send(sender=FakeConnection(), name=name)
    finally:
        pinged.disconnect(spy)
    assert got == [{"name": shown}]


@override_settings(CLIENTSIGNAL_CONNECTIONS={"/pingpong": "pingpong.connections.PingPongConnection"})
def test_the_connection_listens_and_broadcasts_the_example_signals():
    from pingpong.connections import PingPongConnection

    assert PingPongConnection._listens == {"ping": ping, "ping_everyone": ping_everyone}
    assert PingPongConnection._broadcasts == {"pinged": pinged}
