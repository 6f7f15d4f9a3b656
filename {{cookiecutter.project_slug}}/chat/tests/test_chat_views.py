"""The chat's pages: room list, creation with a validated name, the room page."""

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from chat.models import Room
from realtime import conf

#: Every transport this project has (a project baked with one has only that one).
INSTALLED = conf.installed_transports()

pytestmark = pytest.mark.django_db


def test_room_list_and_create(client):
    response = client.get("/chat/")
    assert response.status_code == 200
    response = client.post("/chat/", {"name": "Book-Club"})
    assert response.status_code == 302 and response["Location"] == "/chat/book-club/"
    assert Room.objects.filter(name="book-club").exists()
    assert b"#book-club" in client.get("/chat/").content


@pytest.mark.parametrize("name", ["", "-x", "x-", "a b", "<script>", "x" * 41, "caf\u00e9"])
def test_bad_room_names_are_refused(client, name):
    response = client.post("/chat/", {"name": name})
    assert response.status_code == 200
    assert not Room.objects.filter(name=name.lower()).exclude(name="general").exists()
    assert b'class="error"' in response.content


def test_duplicate_room_name_refused(client):
    Room.objects.create(name="dup")
    response = client.post("/chat/", {"name": "dup"})
    assert response.status_code == 200 and Room.objects.filter(name="dup").count() == 1


def test_only_users_create_private_rooms(client):
    response = client.post("/chat/", {"name": "hidden", "private": "on"})
    assert response.status_code == 200 and not Room.objects.filter(name="hidden").exists()
    client.force_login(User.objects.create_user("u"))
    response = client.post("/chat/", {"name": "hidden", "private": "on"})
    assert response.status_code == 302 and Room.objects.get(name="hidden").private


def test_room_page(client):
    Room.objects.create(name="lobby")
    response = client.get("/chat/lobby/")
    assert response.status_code == 200
    assert b'id="chat-config"' in response.content
    assert b"chat/chat.js" in response.content
    assert client.get("/chat/nope/").status_code == 404


@override_settings(REALTIME_TRANSPORTS=INSTALLED)
def test_room_page_transport_choice(client):
    Room.objects.create(name="lobby")
    first, last = INSTALLED[0], INSTALLED[-1]
    assert client.get("/chat/lobby/").context["transport"] == first
    assert client.get(f"/chat/lobby/?transport={last}").context["transport"] == last
    assert client.get("/chat/lobby/?transport=bogus").context["transport"] == first


def test_private_room_page_needs_login(client):
    Room.objects.create(name="secret", private=True)
    response = client.get("/chat/secret/")
    assert response.status_code == 403 and b"log in" in response.content
    client.force_login(User.objects.create_user("u"))
    assert client.get("/chat/secret/").status_code == 200


def test_room_names_are_escaped_in_pages(client):
    # names are validated, but the page escapes anyway (Django autoescape)
    Room.objects.create(name="lobby")
    response = client.get("/chat/lobby/")
    assert b"<script>alert" not in response.content


@override_settings(CHAT_ANONYMOUS_ROOMS_PER_HOUR=3, CHAT_USER_ROOMS_PER_HOUR=4)
def test_room_creation_is_limited_per_hour(client):
    """Issue 16, point 7: 50 rooms created in half a second."""
    for i in range(3):
        assert client.post("/chat/", {"name": f"flood-{i}"}).status_code == 302
    refused = client.post("/chat/", {"name": "flood-3"})
    assert refused.status_code == 200 and b"Visitors may create 3 rooms an hour" in refused.content
    assert not Room.objects.filter(name="flood-3").exists()
    assert client.post("/chat/", {"name": "flood-4"}, REMOTE_ADDR="10.0.0.2").status_code == 302  # per address
    client.force_login(User.objects.create_user("maker"))
    for i in range(4):
        assert client.post("/chat/", {"name": f"mine-{i}"}).status_code == 302
    assert b"You have created 4 rooms this hour" in client.post("/chat/", {"name": "mine-4"}).content
    assert client.post("/chat/", {"name": "mine-1"}).status_code == 200  # a refused name counts nothing


@override_settings(CHAT_ANONYMOUS_ROOMS_PER_HOUR=3, CHAT_ANONYMOUS_ROOMS_SHARED_PER_HOUR=5)
def test_anonymous_visitors_share_one_quota_whatever_their_addresses(client):
    """Many addresses (a botnet, or 127.0.0.x here) do not multiply the visitors' quota."""
    made = [client.post("/chat/", {"name": f"bot-{i}"}, REMOTE_ADDR=f"10.9.0.{i}").status_code for i in range(8)]
    assert made == [302] * 5 + [200] * 3
    refused = client.post("/chat/", {"name": "bot-x"}, REMOTE_ADDR="10.9.1.1")
    assert b"Visitors have created all the rooms they may this hour" in refused.content
    assert Room.objects.filter(name__startswith="bot-").count() == 5
    client.force_login(User.objects.create_user("member"))
    assert client.post("/chat/", {"name": "members-room"}).status_code == 302  # users have their own quota


@override_settings(CHAT_ROOM_CREATION="users")
def test_room_creation_for_logged_in_users_only(client):
    page = client.get("/chat/").content.decode()
    assert "Log in</a> to create a room" in page and 'name="name"' not in page
    refused = client.post("/chat/", {"name": "anon-room"})
    assert refused.status_code == 200 and b"Log in</a> to create a room" in refused.content
    assert not Room.objects.filter(name="anon-room").exists()
    client.force_login(User.objects.create_user("creator"))
    assert 'name="name"' in client.get("/chat/").content.decode()
    assert client.post("/chat/", {"name": "user-room"}).status_code == 302


@override_settings(CHAT_ROOMS_PER_PAGE=20)
def test_the_room_list_is_paginated(client):
    Room.objects.bulk_create(Room(name=f"r{i:03d}") for i in range(45))
    total = Room.objects.count()  # with the migration's "general"
    pages = -(-total // 20)
    first = client.get("/chat/").content.decode()
    assert first.count('<a href="/chat/') == 20 and 'rel="next"' in first and f"page 1 of {pages}" in first
    last = client.get(f"/chat/?page={pages}").content.decode()
    assert last.count('<a href="/chat/') == total - 20 * (pages - 1) and 'rel="prev"' in last
    assert client.get("/chat/?page=999").status_code == 200  # out of range: the last page
    assert client.get("/chat/?page=x").status_code == 200  # garbage: the first
