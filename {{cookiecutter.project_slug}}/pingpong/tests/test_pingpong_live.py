"""Ping/pong over the wire, on every transport the project serves.

The pong must reach the pinger alone (Django Client Signals sent it to everyone); a
"ping everyone" reaches every connected client, the pinger included.
"""

import pytest
from realtime import conf

from realtime.testing import LiveServer

TRANSPORTS = conf.transports()
URL = "/pingpong"


class Player:
    """One wire client on /pingpong, the same calls whatever the transport."""

    def __init__(self, transport, server):
        self.transport = transport
        if transport == "socketio":
            from realtime.testing import SocketIOTestClient

            self.client = SocketIOTestClient(server.url, namespace=URL)
        else:
            from realtime.testing import SockJSTestClient

            self.client = SockJSTestClient(server.url + URL)

    def signal(self, name, /, **data):
        if self.transport == "socketio":
            self.client.emit(name, data, ack=False)
        else:
            self.client.signal(name, **data)

    def receive(self, name, timeout=5):
        if self.transport == "socketio":
            return self.client.receive(name, timeout=timeout)
        return self.client.receive_signal(name, timeout=timeout)

    def nothing(self, name, within=0.5):
        try:
            got = self.receive(name, timeout=within)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected {name}: {got!r}")

    def close(self):
        self.client.close()


@pytest.fixture(scope="module", params=TRANSPORTS)
def server(request):
    transport = request.param
    command, args = ("rungevent", []) if transport == "socketio" else ("runsocket", ["--django"])
    with LiveServer(command, args=args) as live:
        live.transport = transport
        yield live


@pytest.fixture
def players(server):
    made = [Player(server.transport, server) for _ in range(3)]
    yield made
    for p in made:
        p.close()


def test_pong_reaches_the_pinger_alone(players):
    pinger, other, third = players
    for seq in (1, 2, 3):
        pinger.signal("ping", seq=seq)
    assert [pinger.receive("pong")["seq"] for _ in range(3)] == [1, 2, 3]
    assert other.nothing("pong") and third.nothing("pong")
    other.signal("ping", seq=7)
    assert other.receive("pong") == {"seq": 7}
    assert pinger.nothing("pong", within=0.3)


def test_ping_everyone_reaches_every_client(players):
    players[1].signal("ping_everyone", name="  Robin  ")
    for p in players:
        assert p.receive("pinged") == {"name": "Robin"}


def test_bad_ping_data_is_dropped_and_the_server_keeps_serving(players):
    pinger = players[0]
    pinger.signal("ping", seq="not a number")
    pinger.signal("ping_everyone", name={"nested": "<b>"})
    assert pinger.nothing("pong", within=0.3)
    assert pinger.receive("pinged") == {"name": "someone"}
    pinger.signal("ping", seq=9)
    assert pinger.receive("pong") == {"seq": 9}
