"""One SockJS connection per page, whatever the number of endpoints (issue 15, point 1).

``Realtime.connect()`` and two ``SignalSocket``s on one page are channels of
one multiplexed SockJS connection (``/sockjs/mux``); Chromium's network log
counts the connections. A restart: the one connection comes back and every
channel with it. The old per-endpoint URLs keep working (``multiplex: false``).
"""

import pytest

from realtime.testing import LiveServer
from realtime.testing.browser import chromium
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS
from realtime.tests.browser.one_connection import ALL_OPEN, WAIT, Wire, exercise, open_page


@pytest.fixture(scope="module")
def server():
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}
    with LiveServer("runsocket", args=["--django", "--static"], extra_apps=TEST_APPS, env=env) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_one_sockjs_connection_carries_every_endpoint(server, browser):
    page, wire, errors = open_page(browser, server, "sockjs")
    assert exercise(page) == [None, "over one"]
    assert len(wire.sockjs_sessions()) == 1, wire.sockjs_sessions()
    assert len(wire.websockets) == 1 and "/sockjs/mux/" in wire.websockets[0], wire.websockets
    assert page.evaluate("simple.transportName() === per.transportName()")

    server.stop()  # one connection lost, every channel with it; one comes back
    page.wait_for_function("() => !core.connected && !simple.isOpen && !per.isOpen", timeout=WAIT)
    page.evaluate("simple.send('ping_me', {})")  # queued while down
    server.start()
    page.wait_for_function(ALL_OPEN, timeout=30_000)
    page.wait_for_function("() => got.filter(e => e[0] === 'pong').length === 2", timeout=WAIT)
    assert len(wire.websockets) == 2 and all("/sockjs/mux/" in url for url in wire.websockets), wire.websockets
    assert not errors, errors
    page.close()


def test_closing_one_channel_keeps_the_others(server, browser):
    page, wire, _ = open_page(browser, server, "sockjs")
    page.wait_for_function(ALL_OPEN, timeout=WAIT)
    page.evaluate("window.closes = []; per.on('close', c => closes.push(c)); per.close()")
    assert page.evaluate("closes") == [1000]
    assert exercise_core_and_simple(page) == [None, "still"]
    assert len(wire.sockjs_sessions()) == 1
    page.close()


def exercise_core_and_simple(page):
    page.evaluate("simple.send('ping_me', {})")
    page.wait_for_function("() => got.some(e => e[0] === 'pong')", timeout=WAIT)
    return page.evaluate("new Promise(r => core.emit('echo', 'still', (err, v) => r([err, v])))")


def test_multiplex_false_uses_the_endpoints_own_url(server, browser):
    page = browser.new_page()
    wire = Wire(page)
    page.goto(server.url + "/testapp/clientsignal")
    page.evaluate(
        "window.got = []; window.own = new SignalSocket('/simple', {transport: 'sockjs', multiplex: false});"
        "own.on('pong', d => got.push(d))"
    )
    page.wait_for_function("() => own.isOpen", timeout=WAIT)
    page.evaluate("own.send('ping_me', {})")
    page.wait_for_function("() => got.length === 1", timeout=WAIT)
    assert [url for url in wire.websockets if "/simple/" in url] and not [u for u in wire.websockets if "/mux/" in u]
    page.close()


def test_the_endpoint_option_names_the_fix(server, browser):
    page = browser.new_page()
    page.goto(server.url + "/testapp/clientsignal")
    message = page.evaluate(
        "() => { try { Realtime.connect({transport: 'sockjs', endpoint: '/simple'}); }"
        " catch (e) { return e.message; } }"
    )
    assert "new SignalSocket(\"/simple\")" in message
    page.close()
