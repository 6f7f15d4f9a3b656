"""A real browser against ``rungevent``: the official socket.io-client 4.x and
``Realtime.connect()``, in headless Chromium driven by Playwright.

The page (``/testapp/realtime``) is served by ``rungevent`` itself and loads
the vendored client through ``{% realtime_client_script %}``.
"""

import uuid

import pytest

from realtime.testing import LiveServer, SocketIOTestClient
from realtime.testing.browser import chromium
from realtime.tests.browser.ack_errors import EMIT_ALL, EXPECTED

@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def test_official_socketio_client_over_websocket(gevent_server, page):
    page.goto(gevent_server.url + "/testapp/realtime")
    assert page.evaluate("typeof io") == "function"  # the vendored client, loaded by the tag
    sid = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const socket = window.socket = io({transports: ['websocket']});
            window.broadcasts = [];
            socket.on('broadcast', (data) => window.broadcasts.push(data));
            socket.on('connect', () => resolve(socket.id));
            socket.on('connect_error', (err) => reject(err.message));
        })"""
    )
    assert page.evaluate("socket.io.engine.transport.name") == "websocket"
    # emit with an ack: the receiver's return value
    assert page.evaluate("socket.timeout(5000).emitWithAck('echo', 'from chromium')") == "from chromium"
    # a broadcast from another client reaches the browser (and not the sender)
    token = uuid.uuid4().hex
    with SocketIOTestClient(gevent_server.url) as other:
        other.emit("broadcast", token)
        page.wait_for_function("(t) => window.broadcasts.includes(t)", arg=token, timeout=5000)
        other.assert_nothing("broadcast", within=0.2)
    # the server knows the browser's socket by the same id
    assert sid in _sids(gevent_server)


def _sids(server):
    import json
    import urllib.request

    with urllib.request.urlopen(server.url + "/testapp/sockets", timeout=5) as response:
        return json.load(response)["sids"]


def test_realtime_connect_api_over_socketio(gevent_server, page):
    page.goto(gevent_server.url + "/testapp/realtime")
    assert page.evaluate("Realtime.config.transports[0]") == "socketio"
    page.evaluate(
        """() => new Promise((resolve) => {
            const conn = window.conn = Realtime.connect({ackTimeout: 5000});
            window.seen = {broadcast: [], error: [], message: []};
            ['broadcast', 'error', 'message'].forEach((name) => conn.on(name, (data) => window.seen[name].push(data)));
            conn.on('connect', resolve);
        })"""
    )
    assert page.evaluate("conn.connected") is True
    assert page.evaluate("conn.transport") == "socketio"
    # emit with an ack callback: (err, ...reply)
    reply = page.evaluate(
        "() => new Promise((resolve) => conn.emit('echo', 1, 'two', (err, a, b) => resolve([err, a, b])))"
    )
    assert reply == [None, 1, "two"]
    # an ack that does not come in time gives Error('ack timeout')
    late = page.evaluate(
        """() => new Promise((resolve) => {
            const quick = Realtime.connect({ackTimeout: 1});
            quick.on('connect', () => quick.emit('db_slow', 'slow-browser', (err) => {
                quick.close();
                resolve(err && err.message);
            }));
        })"""
    )
    assert late == "ack timeout"
    # plain messages and the server's 'error' events
    page.evaluate("conn.send('hello')")
    page.wait_for_function("() => window.seen.message.length > 0", timeout=5000)
    assert page.evaluate("window.seen.message[0]") == {"echo": "hello"}
    page.evaluate("conn.emit('no-such-event-from-the-browser')")
    page.wait_for_function("() => window.seen.error.length > 0", timeout=5000)
    assert page.evaluate("window.seen.error[0] instanceof Error && window.seen.error[0].code") == "unknown_event"
    # a broadcast from a Python client
    token = uuid.uuid4().hex
    with SocketIOTestClient(gevent_server.url) as other:
        other.emit("broadcast", token)
    page.wait_for_function("(t) => window.seen.broadcast.includes(t)", arg=token, timeout=5000)


def test_ack_callbacks_get_failures_as_err_and_successes_as_ack(gevent_server, page):
    """A receiver's refusal, an unknown event, a receiver that raised: err is an Error, no ack."""
    page.goto(gevent_server.url + "/testapp/realtime")
    assert page.evaluate(EMIT_ALL, "socketio") == EXPECTED


def test_refusal_reaches_the_error_handler(gevent_server, page):
    page.goto(gevent_server.url + "/testapp/realtime")
    error = page.evaluate(
        """() => new Promise((resolve) => {
            const conn = Realtime.connect({query: {refuse: '1'}});
            conn.on('error', (err) => resolve({message: err.message, refused: err.refused}));
        })"""
    )
    assert error == {"message": "refused by test receiver", "refused": True}


def test_socketio_client_script_tag(gevent_server, page):
    page.goto(gevent_server.url + "/testapp/realtime?tag=socketio")
    assert page.evaluate("typeof io") == "function"
    assert page.evaluate("typeof Realtime.transports.socketio") == "function"


def test_graceful_restart_reconnects_and_flushes_the_queue(browser):
    """SIGTERM: the server tells clients to reconnect and exits 0; queued emits go out after."""
    with LiveServer("rungevent", extra_apps=["realtime.tests.testapp"]) as server:
        page = browser.new_page()
        try:
            page.goto(server.url + "/testapp/realtime")
            page.evaluate(
                """() => new Promise((resolve) => {
                    const conn = window.conn = Realtime.connect({reconnectDelay: 100, reconnectDelayMax: 500});
                    window.events = [];
                    ['connect', 'disconnect', 'reconnect'].forEach((n) => conn.on(n, () => window.events.push(n)));
                    conn.on('connect', resolve);
                })"""
            )
            # Stop once the connection is on its websocket: a SIGTERM in the instant of the upgrade
            # (engine.io-client has paused its polling for the probe) is noticed by the client only at
            # its ping timeout, an edge of the client's upgrade this test does not measure.
            page.wait_for_function("() => conn._sock.io.engine.transport.name === 'websocket'", timeout=10000)
            server.stop()
            assert server.process.returncode == 0
            assert "shutting down, telling 1 connection(s) to reconnect" in server.log()
            page.wait_for_function("() => !conn.connected", timeout=5000)
            # emitted while the server is down: queued, sent after the reconnect
            page.evaluate("window.reply = null; conn.emit('echo', 'queued', (err, r) => { window.reply = [err, r]; })")
            server.start()
            page.wait_for_function("() => window.reply !== null", timeout=15000)
            assert page.evaluate("window.reply") == [None, "queued"]
            assert page.evaluate("window.events") == ["connect", "disconnect", "reconnect", "connect"]
        finally:
            page.close()
