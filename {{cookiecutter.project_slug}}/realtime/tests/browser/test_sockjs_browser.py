"""sockjs-client 1.6 in headless Chromium, through ``{% clientsignal_js %}``.

The page is served by the same ``runsocket --django`` process (same origin).
``SignalSocket`` connects, sends, receives, honours its transport whitelist,
and survives a server restart: it reconnects and sends what was queued
while the server was down.
"""


import pytest

from realtime.testing import LiveServer
from realtime.testing.browser import chromium
from realtime.tests.browser.ack_errors import EMIT_ALL, EXPECTED
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS

WAIT = 20_000  # ms


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def server():
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}
    with LiveServer("runsocket", args=["--django", "--static"], extra_apps=TEST_APPS, env=env) as live:
        yield live


OPEN = """([url, options]) => {
  window.sock = new SignalSocket(url, options);
  window.events = [];
  ['open', 'close', 'error', 'pong'].forEach(function (name) {
    sock.on(name, function (data) {
      // errors are Errors with the server's code and message
      if (data instanceof Error) data = {code: data.code, message: data.message, isError: true};
      events.push([name, data === undefined ? null : data]);
    });
  });
}"""


def events(page, name):
    return page.evaluate("(name) => events.filter(e => e[0] === name).map(e => e[1])", name)


def test_signal_socket_connects_sends_receives_and_survives_a_restart(server, browser):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/testapp/clientsignal")
    assert page.evaluate("typeof SockJS === 'function' && SockJS.version") == "1.6.1"
    page.evaluate(OPEN, ["/simple", {"transport": "sockjs"}])
    page.wait_for_function("() => sock.isOpen", timeout=WAIT)
    assert page.evaluate("sock.transportName()") == "websocket"
    page.evaluate("sock.send('ping', {ping: 'stringping'})")
    page.wait_for_function("() => events.some(e => e[0] === 'pong')", timeout=WAIT)
    assert events(page, "pong") == [{"pong": "Ponged"}]

    server.stop()
    page.wait_for_function("() => !sock.isOpen", timeout=WAIT)
    page.evaluate("sock.send('ping', {ping: 'queued while down'})")  # Django Client Signals' client threw here
    server.start()
    page.wait_for_function("() => sock.opens === 2", timeout=30_000)
    page.wait_for_function("() => events.filter(e => e[0] === 'pong').length === 2", timeout=WAIT)
    assert [name for name, _ in page.evaluate("events")].count("open") == 2
    assert not errors, errors
    page.close()


def test_transport_whitelist_and_errors(server, browser):
    page = browser.new_page()
    page.goto(server.url + "/testapp/clientsignal")
    page.evaluate(OPEN, ["/simple", {"transport": "sockjs", "transports": ["xhr-polling"]}])
    page.wait_for_function("() => sock.isOpen", timeout=WAIT)
    assert page.evaluate("sock.transportName()") == "xhr-polling"
    page.evaluate("sock.send('nobody_listens', {})")
    page.wait_for_function("() => events.some(e => e[0] === 'error')", timeout=WAIT)
    assert events(page, "error")[0]["code"] == "unknown_signal"
    page.evaluate("sock.send('ping', {})")
    page.wait_for_function("() => events.some(e => e[0] === 'pong')", timeout=WAIT)

    page.evaluate(OPEN, ["/private", {"transport": "sockjs"}])  # anonymous: refused, and not retried
    page.wait_for_function("() => events.some(e => e[0] === 'close')", timeout=WAIT)
    assert events(page, "error")[0]["code"] == "refused"
    assert events(page, "close")[0] == 4403
    page.wait_for_timeout(1500)
    assert page.evaluate("sock.opens") <= 1 and not page.evaluate("sock.isOpen")
    page.close()


CONNECT = """([options]) => {
  window.conn = Realtime.connect(options);
  window.seen = [];
  ['connect', 'reconnect', 'disconnect', 'error', 'welcome', 'please_ack', 'client_acked'].forEach(function (name) {
    conn.on(name, function (data, ack) {
      seen.push([name, data instanceof Error ? {error: data.message, refused: data.refused} : data]);
      if (name === 'please_ack' && ack) ack('from the browser', data);
    });
  });
}"""


def seen(page, name):
    return page.evaluate("(name) => seen.filter(e => e[0] === name).map(e => e[1])", name)


def test_realtime_connect_over_sockjs(server, browser):
    page = browser.new_page()
    page.goto(server.url + "/testapp/clientsignal")
    page.evaluate(CONNECT, [{"transport": "sockjs"}])
    page.wait_for_function("() => conn.connected", timeout=WAIT)
    assert page.evaluate("conn.transport") == "sockjs" and page.evaluate("conn.id")
    page.wait_for_function("() => seen.some(e => e[0] === 'welcome')", timeout=WAIT)
    assert seen(page, "welcome")[0]["sid"] == page.evaluate("conn.id")
    # events with acks, both ways
    reply = page.evaluate("new Promise(r => conn.emit('echo', 'héllo', 2, (err, a, b) => r([err, a, b])))")
    assert reply == [None, "héllo", 2]
    page.evaluate("conn.emit('server_emit_with_ack', {n: 1})")
    page.wait_for_function("() => seen.some(e => e[0] === 'client_acked')", timeout=WAIT)
    assert seen(page, "client_acked") == [["from the browser", {"n": 1}]]
    timeout = page.evaluate(
        "new Promise(r => Realtime.connect({transport: 'sockjs', ackTimeout: 30}).on('connect', function () {"
        "  this.emit('db_slow', 'slow-browser', err => r(err && err.message)); }))"
    )
    assert timeout == "ack timeout"
    # a restart: the emit made while down is queued, then acked after reconnect
    server.stop()
    page.wait_for_function("() => !conn.connected", timeout=WAIT)
    page.evaluate("window.late = null; conn.emit('echo', 'queued', (err, v) => { window.late = [err, v]; })")
    server.start()
    page.wait_for_function("() => seen.some(e => e[0] === 'reconnect')", timeout=30_000)
    page.wait_for_function("() => window.late !== null", timeout=WAIT)
    assert page.evaluate("window.late") == [None, "queued"]
    # a refusal: an Error with the reason, and no reconnect
    page.evaluate(CONNECT, [{"transport": "sockjs", "query": {"refuse": "1"}}])
    page.wait_for_function("() => seen.some(e => e[0] === 'error')", timeout=WAIT)
    assert seen(page, "error") == [{"error": "refused by test receiver", "refused": True}]
    page.wait_for_timeout(1500)
    assert not page.evaluate("conn.connected") and not seen(page, "connect")
    page.close()


def test_ack_callbacks_get_failures_as_err_and_successes_as_ack(server, browser):
    """A receiver's refusal, an unknown event, a receiver that raised: err is an Error, no ack."""
    page = browser.new_page()
    page.goto(server.url + "/testapp/clientsignal")
    assert page.evaluate(EMIT_ALL, "sockjs") == EXPECTED
    page.close()


@pytest.mark.parametrize(
    "transport",
    [
        "xhr-streaming",
        "eventsource",
        "xhr-polling",
        "websocket",
        # the old-browser transports (jsonp, htmlfile, and the iframe page driving the others)
        "jsonp-polling",
        "htmlfile",
        "iframe-eventsource",
        "iframe-htmlfile",
        "iframe-xhr-polling",
    ],
)
def test_every_sockjs_transport_we_serve_works_in_chromium(server, browser, transport):
    page = browser.new_page()
    page.goto(server.url + "/testapp/clientsignal")
    page.evaluate(OPEN, ["/simple", {"transport": "sockjs", "transports": [transport]}])
    page.wait_for_function("() => sock.isOpen", timeout=WAIT)
    assert page.evaluate("sock.transportName()") == transport
    page.evaluate("for (let i = 0; i < 20; i++) sock.send('ping', {i: i})")
    page.wait_for_function("() => events.filter(e => e[0] === 'pong').length === 20", timeout=WAIT)
    # a refusal works on this transport too (sockjs-tornado breaks polling if on_open closes)
    page.evaluate(OPEN, ["/private", {"transport": "sockjs", "transports": [transport]}])
    page.wait_for_function("() => events.some(e => e[0] === 'close')", timeout=WAIT)
    assert events(page, "error")[0]["code"] == "refused" and events(page, "close")[0] == 4403
    page.close()
