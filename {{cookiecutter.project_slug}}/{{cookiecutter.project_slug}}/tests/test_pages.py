"""The site's own pages: the landing page, the error pages and the icon, in one look."""

import re

import pytest
from django.apps import apps
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from realtime import conf

@pytest.fixture
def client():
    return Client(HTTP_HOST="127.0.0.1")


def get(client, path, **kwargs):
    return client.get(path, secure=True, **kwargs)


def brand(html):
    """The project's name as the site bar shows it."""
    return re.search(r'class="brand"[^>]*><img[^>]*>([^<]+)</a>', html).group(1)


def looks_like_the_site(html):
    assert 'rel="icon"' in html and "site/favicon.svg" in html
    assert "site/site.css" in html
    assert "class=\"site-bar\"" in html


@pytest.mark.django_db
def test_landing_page_names_the_project_and_says_what_runs(client):
    response = get(client, "/")
    html = response.content.decode()
    assert response.status_code == 200
    looks_like_the_site(html)
    name = brand(html)
    assert re.search(r"<title>\s*" + re.escape(name) + r"\s*</title>", html)
    assert f"<h1>{name}</h1>" in html
    for transport in conf.transports():
        assert {"socketio": "Socket.IO", "sockjs": "SockJS"}[transport] in html
    assert "MemoryBus" in html and "this process only" in html  # the tests' bus
    assert re.search(r'id="connections">\d+<', html) and re.search(r'id="processes">\d+<', html)
    assert 'href="/realtime/"' in html and 'href="/admin/"' in html
    for app, href in (("chat", 'href="/chat/"'), ("pingpong", 'href="/pingpong/"')):
        assert (href in html) == apps.is_installed(app)


@pytest.mark.django_db
def test_not_found_page_is_styled_and_escapes_the_path(client):
    response = get(client, "/no/such/<page>/")
    html = response.content.decode()
    assert response.status_code == 404
    looks_like_the_site(html)
    assert "Nothing here" in html and "/no/such/%3Cpage%3E/" in html and "<page>" not in html


def test_server_error_page_renders_without_context_processors_or_database():
    """Not marked ``django_db``: a query would raise. Django renders 500.html with an empty context."""
    request = RequestFactory().get("/")
    response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    looks_like_the_site(html)
    assert "Something broke on our side" in html


@pytest.mark.django_db
def test_favicon_is_served_and_favicon_ico_does_not_404(client):
    response = get(client, "/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("site/favicon.svg")
    icon = get(client, response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])


@pytest.mark.django_db
def test_every_page_shares_the_look(client, django_user_model):
    staff = django_user_model.objects.create_user("ops", password="pw", is_staff=True)
    client.force_login(staff)
    paths = ["/", "/realtime/"]
    if apps.is_installed("chat"):
        paths.append("/chat/")
    if apps.is_installed("pingpong"):
        paths.append("/pingpong/")
    names = set()
    for path in paths:
        response = get(client, path)
        assert response.status_code == 200, path
        html = response.content.decode()
        looks_like_the_site(html)
        names.add(brand(html))
    assert len(names) == 1  # one name on every page
