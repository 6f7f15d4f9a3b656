"""CSRF on every form that posts over HTTP (threat model: a page on another site must not
create rooms, send announcements or log anyone in or out with the visitor's cookies).

The chat's other inputs (nickname, composer) and ping/pong's form travel over the
realtime socket, whose handshake checks the ``Origin`` instead (``realtime/origins.py``).
"""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chat.models import Message, Room

pytestmark = pytest.mark.django_db

APPS = Path(__file__).resolve().parents[2]


def test_every_post_form_in_a_template_carries_the_token():
    forms = []
    for template in APPS.glob("*/templates/**/*.html"):
        for form in re.findall(r"<form\b[^>]*>.*?</form>", template.read_text(), flags=re.S | re.I):
            if re.search(r"method=[\"']?post", form, flags=re.I):
                forms.append((template.relative_to(APPS), "{% csrf_token %}" in form))
    assert forms, "no POST form found: the scan is broken"
    assert all(has_token for _, has_token in forms), [str(name) for name, ok in forms if not ok]


def test_posts_without_the_token_are_refused():
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/chat/", {"name": "forged"}).status_code == 403
    assert not Room.objects.filter(name="forged").exists()
    # with the token of the page, as the form sends it, the same post works
    browser.get("/chat/")
    token = browser.cookies["csrftoken"].value
    response = browser.post("/chat/", {"name": "real", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Room.objects.filter(name="real").exists()


def test_admin_login_logout_and_announcements_need_the_token():
    User.objects.create_superuser("boss", password="pw")
    room = Room.objects.create(name="townhall")
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/admin/login/", {"username": "boss", "password": "pw"}).status_code == 403
    browser.force_login(User.objects.get(username="boss"))
    forged = {"action": "announce", "_selected_action": [room.pk], "text": "forged"}
    assert browser.post("/admin/chat/room/", forged).status_code == 403
    assert not Message.objects.filter(text="forged").exists()
    assert browser.post("/admin/logout/").status_code == 403
    assert browser.get("/admin/").status_code == 200  # still logged in
