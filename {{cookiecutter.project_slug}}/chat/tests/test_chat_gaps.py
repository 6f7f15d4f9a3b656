"""Rejoining after a message overtook another: the gap is replayed too.

Each socket process delivers its own messages first, so a client can receive
message N+1 before N. If its connection drops in between, ``after`` (the
highest id it saw) is already past N; the ids it lists in ``have`` let the
server find N and replay it (``tests/test_production.py`` kills a socket
process under load and counts lost messages: this is what it found).
"""

import pytest

from chat import services
from chat.models import Message, Room
from chat.tests.test_chat_unit import adapter, client, joined  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def room():
    return Room.objects.create(name="gaps")


def test_an_overtaken_message_is_replayed_with_what_followed(room):
    ids = [Message.objects.create(room=room, nickname="x", text=f"m{i}").id for i in range(6)]
    other = Room.objects.create(name="elsewhere")
    Message.objects.create(room=other, nickname="x", text="not ours")
    # the client got m0, m1 and m3 (which overtook m2), then dropped; m4 and m5 came meanwhile
    _, answer = joined(room, "alice", after=ids[3], have=[ids[3], ids[1], ids[0]])
    assert [m["id"] for m in answer["messages"]] == [ids[2], ids[4], ids[5]]


def test_without_have_only_what_follows_after(room):
    ids = [Message.objects.create(room=room, nickname="x", text=f"m{i}").id for i in range(4)]
    _, answer = joined(room, "alice", after=ids[2])
    assert [m["id"] for m in answer["messages"]] == [ids[3]]
    _, answer = joined(room, "bob", after=ids[2], have=[])
    assert [m["id"] for m in answer["messages"]] == [ids[3]]


@pytest.mark.parametrize("have", ["1,2", [1, "2"], [True], [-1], list(range(services.MAX_HAVE + 1)), {"a": 1}])
def test_bad_have_is_refused(room, have):
    s = client()
    answer = s.event("chat:join", {"room": room.name, "nickname": "eve", "after": 1, "have": have})
    assert answer["error"] == "bad_have"


def test_coming_back_after_a_crash_keeps_the_nickname(room):
    # the first connection's process died: its presence entry is still there (until the TTL)
    ghost, _ = joined(room, "alice")
    assert client().event("chat:join", {"room": room.name, "nickname": "alice"})["error"] == "nickname_taken"
    _, answer = joined(room, "alice", previous=ghost.sid)
    assert answer["nickname"] == "alice"
    # someone else's sid does not help: only the one you had
    other, _ = joined(room, "bob")
    refused = client().event("chat:join", {"room": room.name, "nickname": "alice", "previous": other.sid})
    assert refused["error"] == "nickname_taken"


@pytest.mark.parametrize("previous", [42, "", "x" * 101, ["sid"]])
def test_bad_previous_is_refused(room, previous):
    answer = client().event("chat:join", {"room": room.name, "nickname": "eve", "previous": previous})
    assert answer["error"] == "bad_previous"
