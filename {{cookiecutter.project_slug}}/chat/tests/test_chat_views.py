"""The chat's pages: room list, creation with a validated name, the room page."""

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from chat.models import Room

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


@override_settings(REALTIME_TRANSPORTS=["socketio", "sockjs"])
def test_room_page_transport_choice(client):
    Room.objects.create(name="lobby")
    assert client.get("/chat/lobby/").context["transport"] == "socketio"
    assert client.get("/chat/lobby/?transport=sockjs").context["transport"] == "sockjs"
    assert client.get("/chat/lobby/?transport=bogus").context["transport"] == "socketio"


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
