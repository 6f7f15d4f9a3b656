"""The ping/pong page in headless Chromium, on every transport the project serves.

Two pages play: a ping's pong comes back to the pinger alone, with its round
trip shown; "ping everyone" reaches both pages, the name shown as text.
Screenshots land in the artifacts folder (``realtime.testing.browser``).
"""

import re

import pytest
from realtime import conf

from realtime.testing import LiveServer
from realtime.testing.browser import chromium, screenshots

TRANSPORTS = conf.transports()
TIMEOUT = 20_000  # ms: generous for a shared 2-core machine


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def open_page(browser, server, transport):
    context = browser.new_context(viewport={"width": 420, "height": 760})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors, dialogs = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server.url}/pingpong/?transport={transport}")
    page.wait_for_selector("#status[data-state=connected]")
    page.wait_for_selector("#ping:enabled")
    return page, errors, dialogs


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pong_to_the_pinger_alone_broadcast_to_all_round_trip_shown(browser, transport):
    command, args = ("rungevent", []) if transport == "socketio" else ("runsocket", ["--django"])
    with LiveServer(command, args=args) as server:
        ann, ann_errors, ann_dialogs = open_page(browser, server, transport)
        bob, bob_errors, bob_dialogs = open_page(browser, server, transport)

        ann.click("#ping")
        ann.wait_for_function("() => document.getElementById('pongs').textContent === '1'")
        assert re.fullmatch(r"\d+\.\d ms", ann.text_content("#rtt")), ann.text_content("#rtt")
        assert ann.locator("#log .pong").count() == 1

        ann.click("#ping-ten")
        ann.wait_for_function("() => document.getElementById('pongs').textContent === '11'")

        ann.fill("#name", "<b>ann</b>")
        ann.click("#everyone button")
        for page in (ann, bob):
            page.wait_for_selector("#log .pinged")
            assert page.locator("#log .pinged .kind").first.text_content() == "ping from <b>ann</b>"
            assert page.locator("#log b").count() == 0  # shown as text, never as HTML

        # bob saw the broadcast but none of ann's pongs
        assert bob.text_content("#pongs") == "0" and bob.locator("#log .pong").count() == 0
        screenshots(ann, f"pingpong-{transport}")
        assert ann_errors == bob_errors == [] and ann_dialogs == bob_dialogs == []
        ann.context.close()
        bob.context.close()
