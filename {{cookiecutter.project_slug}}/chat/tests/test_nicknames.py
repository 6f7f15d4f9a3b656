"""Nicknames cannot be spoofed or locked (issue 16, point 6), through the real dispatcher.

The attack: an anonymous visitor took "Admin" and posted as it, which then
kept the real admin out of the room; "аdmin" (Cyrillic а) and "announcement"
were accepted; messages did not say whether a registered user sent them.
"""

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from chat import nicknames, services
from chat.models import Room
from realtime.testing.memory import MemorySocket, memory_transport

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def adapter():
    nicknames.username_skeletons.clear()
    with memory_transport() as a:
        yield a


@pytest.fixture
def room():
    return Room.objects.create(name="lobby")


def join(room, nickname, user=None):
    socket = MemorySocket(user).connect()
    return socket, socket.event("chat:join", {"room": room.name, "nickname": nickname})


@pytest.mark.parametrize(
    "lookalike",
    [
        "admin",
        "Admin",
        "ADMIN",
        "\u0430dmin",  # Cyrillic а
        "\u0391dmin",  # Greek capital alpha
        "\uff41\uff44\uff4d\uff49\uff4e",  # fullwidth: NFKC folds it
        "adm1n",
        "Ad-min",
        "a.d.m.i.n",
        "\u0430d\u043c\u0456n",  # Cyrillic а, м, і
        "\u00e0dmin",  # an accent
    ],
)
def test_lookalikes_of_a_system_name_share_its_skeleton_and_are_refused(room, lookalike):
    assert nicknames.skeleton(lookalike) == nicknames.skeleton("admin")
    _, answer = join(room, lookalike)
    assert answer["error"] == "nickname_taken" and answer["reason"] == "reserved", answer


@pytest.mark.parametrize("name", ["announcement", "System", "moderator", "\u0455ystem"])  # Cyrillic ѕ
def test_every_system_name_is_reserved(room, name):
    _, answer = join(room, name)
    assert answer["error"] == "nickname_taken" and answer["reason"] == "reserved", answer


def test_different_names_stay_different():
    assert nicknames.skeleton("alice") != nicknames.skeleton("alicia")
    assert nicknames.skeleton("bob") != nicknames.skeleton("rob")


def test_registered_usernames_are_reserved_for_their_user(room):
    carol = User.objects.create_user("carol", password="pw")
    for attempt in ["carol", "Carol", "c\u0430rol", "car0l"]:
        _, answer = join(room, attempt)
        assert answer["error"] == "nickname_taken" and answer["reason"] == "registered", (attempt, answer)
    socket, answer = join(room, "whatever", user=carol)
    assert answer["ok"] and answer["nickname"] == "carol"


def test_a_new_account_is_protected_at_once_by_its_exact_name(room):
    join(room, "someone")  # fills the process's username cache
    User.objects.create_user("dave", password="pw")
    _, answer = join(room, "DAVE")
    assert answer["error"] == "nickname_taken" and answer["reason"] == "registered"


def test_an_anonymous_holder_never_keeps_a_user_out_of_their_name(room):
    squatter, answer = join(room, "erin")  # before the account existed
    assert answer["ok"]
    erin = User.objects.create_user("erin", password="pw")
    _, answer = join(room, "ignored", user=erin)
    assert answer["ok"] and answer["nickname"] == "erin"


def test_anonymous_lookalikes_of_a_present_member_are_taken(room):
    join(room, "frank")
    _, answer = join(room, "fr\u0430nk")
    assert answer["error"] == "nickname_taken" and "reason" not in answer


@override_settings(CHAT_RESERVED_NICKNAMES=["helpdesk"])
def test_reserved_names_are_a_setting(room):
    _, answer = join(room, "help-desk")
    assert answer["reason"] == "reserved"
    _, answer = join(room, "moderator")
    assert answer["ok"]


def test_messages_of_logged_in_users_are_verified(room):
    gina = User.objects.create_user("gina", password="pw")
    user_socket, _ = join(room, "x", user=gina)
    anon_socket, _ = join(room, "guest")
    user_socket.event("chat:message", {"room": "lobby", "text": "from gina"})
    anon_socket.event("chat:message", {"room": "lobby", "text": "from a guest"})
    services.announce(room, "from the site")
    got = {m["text"]: m for m in anon_socket.got("chat:message")}
    assert got["from gina"]["verified"] is True
    assert got["from a guest"]["verified"] is False
    assert got["from the site"]["verified"] is False and got["from the site"]["kind"] == "system"
