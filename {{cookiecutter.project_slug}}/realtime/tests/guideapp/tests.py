"""shout's tests: the receivers in memory (fast), then over every transport with a real server."""

import pytest

from realtime import conf
from realtime.testing import LiveServer
from realtime.testing.memory import MemorySocket, memory_transport

from . import receivers

pytestmark = pytest.mark.django_db  # the project's other receivers may use the database


@pytest.fixture
def memory():
    """In-process sockets: no server, no network; receivers, rooms and acks as live."""
    with memory_transport():
        yield


def test_join_shout_leave(memory):
    ann, bob = MemorySocket().connect(), MemorySocket().connect()
    assert ann.event("shout:join", {"name": "ann"}) == {"here": ["ann"]}  # the ack
    assert bob.event("shout:join", {"name": "bob"}) == {"here": ["ann", "bob"]}
    assert ann.got("shout:joined") == ["bob"]  # broadcast_emit: the others in the room...
    assert bob.got("shout:joined") == []  # ...not the sender
    assert bob.event("shout", "hi") == "ok"
    assert ann.got("shout") == bob.got("shout") == [{"from": "bob", "text": "HI"}]  # realtime.emit: everyone
    bob.close()
    assert ann.got("shout:left") == ["bob"]


def test_refusals_carry_a_code(memory):
    ann, carol = MemorySocket().connect(), MemorySocket().connect()
    assert carol.event("shout", "hi")["error"] == "not_joined"
    assert carol.event("shout:join", {})["error"] == "bad_name"
    ann.event("shout:join", {"name": "ann"})
    assert carol.event("shout:join", {"name": "ann"})["error"] == "name_taken"
    assert carol.event("whisper", "psst")["error"] == "unknown_event"  # no receiver listens


def test_announce_from_a_view_or_the_shell(memory):
    ann, outsider = MemorySocket().connect(), MemorySocket().connect()
    ann.event("shout:join", {"name": "ann"})
    receivers.announce("doors close at six")
    assert ann.got("shout") == [{"from": "server", "text": "DOORS CLOSE AT SIX"}]
    assert outsider.got("shout") == []  # not in the room


@pytest.fixture(scope="module", params=conf.transports())
def server(request):
    """``manage.py rungevent`` (Socket.IO) or ``runsocket`` (SockJS) on a free port."""
    with LiveServer.for_transport(request.param) as server:
        yield server


def test_over_the_wire(server):
    with server.client() as ann, server.client() as bob:
        assert ann.emit("shout:join", {"name": "ann"}) == {"here": ["ann"]}
        assert bob.emit("shout:join", {"name": "ann"})["error"] == "name_taken"
        assert bob.emit("shout:join", {"name": "bob"}) == {"here": ["ann", "bob"]}
        assert ann.receive("shout:joined") == "bob"
        assert bob.emit("shout", "hello") == "ok"
        assert ann.receive("shout") == bob.receive("shout") == {"from": "bob", "text": "HELLO"}
