"""The landing page and the 404 page in headless Chromium, on a phone and a desktop.

Served by a real socket server with DEBUG off (as in production), with a socket
connected so the landing page counts a live connection; screenshots land in
the artifacts folder (``realtime.testing.browser``).
"""

import pytest
from django.conf import settings

from realtime import conf
from realtime.testing import LiveServer
from realtime.testing.browser import chromium, screenshots

TRANSPORT = conf.transports()[0]
TIMEOUT = 20_000  # ms: generous for a shared 2-core machine


#: As in production (DEBUG off: Django's own error pages give way to ours), over plain HTTP.
PRODUCTION_LIKE = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
}


@pytest.fixture(scope="module")
def server():
    command, args = ("rungevent", []) if TRANSPORT == "socketio" else ("runsocket", ["--django"])
    with LiveServer(command, args=args, extra_apps=["realtime.tests.testapp"], env=PRODUCTION_LIKE) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def test_landing_page_counts_a_live_connection_and_links_everything(server, browser, page):
    other = browser.new_context().new_page()
    other.goto(f"{server.url}/testapp/realtime?transport={TRANSPORT}")
    other.evaluate("t => new Promise(ok => Realtime.connect({transport: t}).on('connect', ok))", TRANSPORT)
    page.goto(server.url + "/")
    assert page.text_content("#connections") == "1"
    assert page.text_content("#processes") == "1"
    assert page.title() == page.text_content(".brand").strip() == page.text_content("h1")
    links = page.eval_on_selector_all("main a[href]", "els => els.map(a => a.getAttribute('href'))")
    assert {"/realtime/", "/admin/", "/healthz"} <= set(links)
    for app in ("chat", "pingpong"):
        assert (f"/{app}/" in links) == (app in settings.INSTALLED_APPS)
    icon = page.evaluate("fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])")
    assert icon[0] == 200 and icon[1].startswith("image/svg+xml")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshots(page, "landing")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows on a phone
    assert page.errors == []
    other.context.close()


def test_not_found_page(server, page):
    response = page.goto(server.url + "/no/such/page/")
    assert response.status == 404
    assert page.text_content(".oops .code") == "404"
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")  # styled
    screenshots(page, "not-found")
    assert page.errors == []
