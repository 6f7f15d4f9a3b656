"""The chat's rules, through the real dispatcher with in-memory sockets.

No network here: each test drives ``realtime.dispatch`` the way a transport
does, so a failure points at the chat itself. Live transports and the
browser are exercised in ``test_chat_live.py`` and ``test_chat_browser.py``.
"""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import override_settings

from chat import services
from chat.models import Message, Room
from realtime.testing.memory import MemorySocket, memory_transport

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def adapter(settings):
    settings.CHAT_PRESENCE_INTERVAL = 0  # each presence change at once (folding: test_chat_limits.py)
    with memory_transport() as a:
        yield a


@pytest.fixture
def room():
    return Room.objects.create(name="lobby")


def client(user=None):
    return MemorySocket(user).connect()


def joined(room, nickname, after=None, user=None, have=None, previous=None):
    s = client(user)
    payload = {"room": room.name, "nickname": nickname, "after": after}
    if have is not None:
        payload["have"] = have
    if previous is not None:
        payload["previous"] = previous
    answer = s.event("chat:join", payload)
    assert answer["ok"], answer
    return s, answer


def test_join_gets_history_members_and_others_see_presence(room):
    for i in range(3):
        Message.objects.create(room=room, nickname="old", text=f"m{i}")
    alice, answer = joined(room, "alice")
    assert [m["text"] for m in answer["messages"]] == ["m0", "m1", "m2"]
    assert answer["members"] == [{"nickname": "alice", "transport": "memory"}]
    bob, answer = joined(room, "bob")
    assert [m["nickname"] for m in answer["members"]] == ["alice", "bob"]
    assert alice.got("chat:presence")[-1]["event"] == "joined"
    assert alice.got("chat:presence")[-1]["nickname"] == "bob"


def test_a_reader_sees_history_and_live_messages_before_choosing_a_nickname(room):
    Message.objects.create(room=room, nickname="old", text="before anyone")
    alice, _ = joined(room, "alice")
    reader = client()
    answer = reader.event("chat:watch", {"room": room.name})
    assert answer["ok"] and [m["text"] for m in answer["messages"]] == ["before anyone"]
    assert answer["members"] == [{"nickname": "alice", "transport": "memory"}]  # a reader is not a member
    assert alice.event("chat:message", {"room": room.name, "text": "live"})["ok"]
    assert [m["text"] for m in reader.got("chat:message")] == ["live"]
    # read-only: a reader cannot write
    assert reader.event("chat:message", {"room": room.name, "text": "hi"})["error"] == "not_joined"
    assert Message.objects.filter(text="hi").count() == 0
    # choosing a nickname makes the same connection a member, and everyone sees it
    answer = reader.event("chat:join", {"room": room.name, "nickname": "bob", "after": answer["messages"][-1]["id"]})
    assert answer["ok"] and [m["text"] for m in answer["messages"]] == ["live"]
    assert [m["nickname"] for m in answer["members"]] == ["alice", "bob"]
    assert alice.got("chat:presence")[-1] == {"event": "joined", "nickname": "bob", "members": answer["members"]}
    assert reader.event("chat:message", {"room": room.name, "text": "now I can"})["ok"]


def test_a_reader_coming_and_going_changes_no_presence(room):
    alice, _ = joined(room, "alice")
    before = len(alice.got("chat:presence"))
    reader = client()
    assert reader.event("chat:watch", {"room": room.name})["ok"]
    reader.close()
    assert len(alice.got("chat:presence")) == before


def test_watching_follows_the_join_rules():
    private = Room.objects.create(name="staff-only", private=True)
    assert client().event("chat:watch", {"room": private.name})["error"] == "login_required"
    assert client().event("chat:watch", {"room": "nope"})["error"] == "no_room"
    assert client().event("chat:watch", {"room": private.name, "after": -1})["error"] == "login_required"
    user = User.objects.create_user("member", password="pw")
    assert client(user).event("chat:watch", {"room": private.name})["ok"]


@override_settings(CHAT_HISTORY=2)
def test_history_is_the_last_n_in_order(room):
    for i in range(5):
        Message.objects.create(room=room, nickname="old", text=f"m{i}")
    _, answer = joined(room, "alice")
    assert [m["text"] for m in answer["messages"]] == ["m3", "m4"]


def test_message_is_stored_and_broadcast_to_the_room_only(room):
    other = Room.objects.create(name="other")
    alice, _ = joined(room, "alice")
    bob, _ = joined(room, "bob")
    carol, _ = joined(other, "carol")
    answer = alice.event("chat:message", {"room": "lobby", "text": "hello"})
    stored = Message.objects.get()
    assert answer == {"ok": True, "id": stored.id}
    assert (stored.nickname, stored.text, stored.room) == ("alice", "hello", room)
    for s in (alice, bob):
        assert [m["text"] for m in s.got("chat:message")] == ["hello"]
    assert carol.got("chat:message") == []


def test_rejoin_after_last_seen_id_gets_exactly_the_missed_messages(room):
    ids = [Message.objects.create(room=room, nickname="x", text=f"m{i}").id for i in range(6)]
    _, answer = joined(room, "alice", after=ids[2])
    assert [m["id"] for m in answer["messages"]] == ids[3:]
    _, answer = joined(room, "bob", after=ids[-1])
    assert answer["messages"] == []


@override_settings(CHAT_MAX_MISSED=2)
def test_too_many_missed_are_capped_and_counted(room):
    ids = [Message.objects.create(room=room, nickname="x", text=f"m{i}").id for i in range(5)]
    _, answer = joined(room, "alice", after=ids[0])
    assert [m["id"] for m in answer["messages"]] == ids[3:]
    assert answer["skipped"] == 2


@pytest.mark.parametrize("nickname", ["", "   ", "x" * 25, "<b>", "a/b", "a\x00b", None, 42, "_x"])
def test_bad_nicknames_are_refused(room, nickname):
    s = client()
    answer = s.event("chat:join", {"room": room.name, "nickname": nickname})
    assert answer["error"] == "bad_nickname"
    assert not s.rooms


def test_nickname_unique_in_room_case_insensitive_and_free_again_after_leaving(room):
    alice, _ = joined(room, "Alice")
    s = client()
    assert s.event("chat:join", {"room": "lobby", "nickname": "alice"})["error"] == "nickname_taken"
    assert not s.rooms
    other = Room.objects.create(name="other")
    joined(other, "alice")  # another room: fine
    alice.disconnect()
    assert s.event("chat:join", {"room": "lobby", "nickname": "alice"})["ok"]


def test_logged_in_user_chats_under_username_in_two_tabs(room):
    user = User.objects.create_user("dora", password="pw")
    _, first = joined(room, "ignored", user=user)
    _, second = joined(room, "whatever", user=user)
    assert first["nickname"] == second["nickname"] == "dora"
    assert second["members"] == [{"nickname": "dora", "transport": "memory"}]


def test_private_room_refuses_anonymous_and_admits_users():
    room = Room.objects.create(name="secret", private=True)
    anon = client()
    answer = anon.event("chat:join", {"room": "secret", "nickname": "eve"})
    assert answer["error"] == "login_required"
    assert not anon.rooms
    # an anonymous socket cannot write into it either
    assert anon.event("chat:message", {"room": "secret", "text": "hi"})["error"] == "not_joined"
    assert not Message.objects.exists()
    _, answer = joined(room, "x", user=User.objects.create_user("frank"))
    assert answer["ok"]


def test_unknown_room_and_message_before_join(room):
    s = client()
    assert s.event("chat:join", {"room": "nope", "nickname": "a"})["error"] == "no_room"
    assert s.event("chat:message", {"room": "lobby", "text": "hi"})["error"] == "not_joined"
    assert s.event("chat:join", "not a dict")["error"] in ("no_room", "bad_nickname")


@override_settings(CHAT_MAX_MESSAGE_LENGTH=10)
def test_length_limit_is_enforced_on_the_server(room):
    alice, _ = joined(room, "alice")
    bob, _ = joined(room, "bob")
    answer = alice.event("chat:message", {"room": "lobby", "text": "x" * 11})
    assert answer["error"] == "too_long" and "10 characters" in answer["message"]
    assert alice.event("chat:message", {"room": "lobby", "text": "   "})["error"] == "empty"
    assert alice.event("chat:message", {"room": "lobby", "text": ["x"]})["error"] == "bad_message"
    assert not Message.objects.exists()
    assert bob.got("chat:message") == []
    assert alice.event("chat:message", {"room": "lobby", "text": "x" * 10})["ok"]


@override_settings(CHAT_RATE_LIMIT=(3, 60))
def test_rate_limit_per_connection_with_a_clear_error(room):
    alice, _ = joined(room, "alice")
    bob, _ = joined(room, "bob")
    for i in range(3):
        assert alice.event("chat:message", {"room": "lobby", "text": f"a{i}"})["ok"]
    answer = alice.event("chat:message", {"room": "lobby", "text": "too many"})
    assert answer["error"] == "rate_limited" and answer["retry_after"] > 0
    assert "Slow down" in answer["message"]
    # without an ack the sender still hears why
    alice.event("chat:message", {"room": "lobby", "text": "again"}, ack=False)
    assert alice.got("chat:error")[-1]["error"] == "rate_limited"
    # the room keeps working for others
    assert bob.event("chat:message", {"room": "lobby", "text": "bob here"})["ok"]
    assert [m["text"] for m in alice.got("chat:message")][-1] == "bob here"
    assert Message.objects.count() == 4


@override_settings(CHAT_RATE_LIMIT=(3, 60), CHAT_USER_RATE_LIMIT=(4, 60))
def test_a_users_tabs_share_one_message_budget(room):
    """Issue 16 point 7: 10 connections posted 50 messages in 1.4 s. One user's ten tabs post 4."""
    spammer = User.objects.create_user("spammer")
    tabs = [joined(room, "spammer", user=spammer)[0] for _ in range(10)]
    answers = [tab.event("chat:message", {"room": "lobby", "text": f"t{i}"}) for i in range(5) for tab in tabs]
    assert sum(1 for a in answers if a.get("ok")) == 4
    refused = [a for a in answers if not a.get("ok")]
    assert all(a["error"] == "rate_limited" for a in refused)
    assert sum("all your tabs" in a["message"] for a in refused) == 26  # the rest: each tab's own 3
    assert Message.objects.count() == 4
    bob, _ = joined(room, "bob")  # another sender is not affected
    assert bob.event("chat:message", {"room": "lobby", "text": "bob here"})["ok"]


def test_rate_limiter_window_slides(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: now[0])
    limiter = services.RateLimiter(2, 5)
    assert limiter.allow() == 0 and limiter.allow() == 0
    assert limiter.allow() > 0
    now[0] += 5
    assert limiter.allow() == 0


def test_leaving_and_disconnecting_update_presence(room):
    alice, _ = joined(room, "alice")
    bob, _ = joined(room, "bob")
    bob.event("chat:leave", {"room": "lobby"})
    last = alice.got("chat:presence")[-1]
    assert (last["event"], last["nickname"], last["members"]) == (
        "left",
        "bob",
        [{"nickname": "alice", "transport": "memory"}],
    )
    carol, _ = joined(room, "carol")
    carol.disconnect()
    assert alice.got("chat:presence")[-1]["nickname"] == "carol"
    assert alice.got("chat:presence")[-1]["event"] == "left"


def test_joining_another_room_leaves_the_first(room):
    other = Room.objects.create(name="other")
    s, _ = joined(room, "alice")
    s.event("chat:join", {"room": "other", "nickname": "alice"})
    assert s.rooms == {other.channel}


def test_text_is_stored_and_sent_verbatim_never_as_html(room):
    alice, _ = joined(room, "alice")
    evil = "<img src=x onerror=alert(1)>"
    alice.event("chat:message", {"room": "lobby", "text": evil})
    assert alice.got("chat:message")[-1]["text"] == evil


def test_announce_command_and_admin_action_reach_the_room(room, admin_client):
    alice, _ = joined(room, "alice")
    out = io.StringIO()
    call_command("chat_announce", "lobby", "maintenance at noon", stdout=out)
    got = alice.got("chat:message")[-1]
    assert (got["kind"], got["text"]) == ("system", "maintenance at noon")
    with pytest.raises(CommandError):
        call_command("chat_announce", "nope", "x")
    # the admin action: first the form, then the announcement
    url = "/admin/chat/room/"
    response = admin_client.post(url, {"action": "announce", "_selected_action": [room.pk]})
    assert response.status_code == 200 and b"Send an announcement" in response.content
    response = admin_client.post(url, {"action": "announce", "_selected_action": [room.pk], "text": "from admin"})
    assert response.status_code == 302
    assert alice.got("chat:message")[-1]["text"] == "from admin"
    assert Message.objects.filter(kind="system").count() == 2


@pytest.mark.parametrize("limit", [500, 40])
def test_an_announcement_over_the_limit_is_a_form_error_not_a_500(room, admin_client, limit):
    """Issue 16, point 13: the form allowed 2,000 characters, the chat 500: the admin answered 500."""
    url = "/admin/chat/room/"
    with override_settings(CHAT_MAX_MESSAGE_LENGTH=limit):
        too_long = {"action": "announce", "_selected_action": [room.pk], "text": "x" * (limit + 1)}
        response = admin_client.post(url, too_long)
        assert response.status_code == 200
        assert f"at most {limit} characters".encode() in response.content  # the form's own error
        assert f'maxlength="{limit}"'.encode() in response.content  # and the browser knows the limit
        assert not Message.objects.filter(kind="system").exists()
        blank = {"action": "announce", "_selected_action": [room.pk], "text": "   "}
        assert b"This field is required." in admin_client.post(url, blank).content
        just_fits = {"action": "announce", "_selected_action": [room.pk], "text": "y" * limit}
        assert admin_client.post(url, just_fits).status_code == 302
        assert Message.objects.get(kind="system").text == "y" * limit
        with pytest.raises(CommandError, match=f"limited to {limit} characters"):
            call_command("chat_announce", "lobby", "z" * (limit + 1))
