"""Client signals ride Socket.IO too: each CLIENTSIGNAL_CONNECTIONS url is a namespace.

The same connections as ``test_sockjs_clientsignal`` (``testapp/clientsignals.py``),
served by ``rungevent``: a signal is an event on the namespace whose single
argument is Django Client Signals' ``data`` object.
"""

import pytest

from realtime.testing import LiveServer, SocketIOTestClient
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS


@pytest.fixture(scope="module")
def server():
    with LiveServer("rungevent", extra_apps=TEST_APPS, env={"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}) as live:
        yield live


def ns(server, url="/simple", **kwargs):
    return SocketIOTestClient(server.url, namespace=url, **kwargs)


def test_readme_ping_pong_and_reply_to_the_pinger_alone(server):
    with ns(server) as a, ns(server) as b:
        a.emit("ping", {"ping": "stringping"}, ack=False)
        assert a.receive("pong") == b.receive("pong") == {"pong": "Ponged"}
        b.emit("ping_me", {}, ack=False)
        assert b.receive("pong")["pong"] == "just you"
        a.assert_nothing("pong")


def test_sender_is_the_connection(server):
    with ns(server) as anon:
        anon.emit("whoami", {"extra": 1}, ack=False)
        you = anon.receive("you")
        assert you["user"] is None and you["connection"] == "PingSignalConnection"
        assert you["sid"] == anon.sid and "extra" in you["kwargs"]


def test_logged_in_user_and_auth_refusal(server):
    with ns(server, cookies=server.login("erin")) as erin:
        erin.emit("whoami", {}, ack=False)
        assert erin.receive("you")["user"] == "erin"
    with ns(server, url="/private", cookies=server.login("fay")) as fay:
        fay.emit("hello", {"x": 1}, ack=False)
        assert fay.receive("hello")["user"] == "fay"


def test_refusal_unknown_signals_and_listeners_per_connection(server):
    anon = ns(server, url="/private")
    assert not anon.connected and anon.connect_error
    anon.close()
    a, b, c = ns(server), ns(server), ns(server)
    try:
        c.emit("nobody_listens", {}, ack=False)
        assert c.receive("error")["error"] == "unknown_signal"
        c.close()
        a.emit("ping", {}, ack=False)
        assert a.receive("pong") == b.receive("pong") == {"pong": "Ponged"}
    finally:
        a.close()
        b.close()


def test_a_broadcast_signal_from_a_view_reaches_socketio_clients(server):
    import urllib.request

    with ns(server) as a:
        urllib.request.urlopen(f"{server.url}/testapp/pong?text=viewed").read()
        assert a.receive("pong") == {"pong": "viewed"}


def test_signal_socket_over_socketio_in_chromium(server):
    """``SignalSocket`` with ``transport: 'socketio'`` (what a Socket.IO-only project gets)."""
    from realtime.testing.browser import chromium

    with chromium() as browser:
        page = browser.new_page()
        page.goto(server.url + "/testapp/clientsignal")
        page.evaluate(
            """() => {
              window.sock = new SignalSocket('/simple', {transport: 'socketio', transports: ['xhr-polling']});
              window.events = [];
              ['open', 'close', 'error', 'pong'].forEach(
                n => sock.on(n, d => events.push([n, d === undefined ? null : d])));
            }"""
        )
        page.wait_for_function("() => sock.isOpen", timeout=20_000)
        assert page.evaluate("sock.transportName()") == "polling"  # the SockJS name mapped
        page.evaluate("sock.send('ping', {ping: 'x'}); sock.send('nobody_listens', {})")
        page.wait_for_function("() => events.some(e => e[0] === 'pong') && events.some(e => e[0] === 'error')")
        assert page.evaluate("events.filter(e => e[0] === 'error')[0][1].code") == "unknown_signal"  # an Error, .code
        server.stop()
        page.wait_for_function("() => !sock.isOpen", timeout=20_000)
        page.evaluate("sock.send('ping', {ping: 'queued'})")
        server.start()
        page.wait_for_function(
            "() => sock.opens === 2 && events.filter(e => e[0] === 'pong').length === 2", timeout=30_000
        )
        page.evaluate(
            "window.priv = new SignalSocket('/private', {transport: 'socketio'}); window.perr = [];"
            "priv.on('error', e => perr.push(e))"
        )
        page.wait_for_function("() => perr.length > 0", timeout=20_000)
        assert page.evaluate("perr[0].code") == "refused" and not page.evaluate("priv.isOpen")


@pytest.mark.parametrize("key", ["request", "user", "socket", "connection", "session", "sender", "signal"])
def test_a_client_cannot_set_a_kwarg_the_server_supplies(server, key):
    """Issue 16, point 12: ``{"user": "admin"}`` must not reach a receiver taking ``user``."""
    with ns(server) as eve:
        answer = eve.emit("whoami", {key: "admin"})
        assert answer["error"] == "reserved_key" and key in answer["message"], answer
        assert eve.receive("error")["error"] == "reserved_key"
        eve.assert_nothing("you")  # the receiver never ran
        assert eve.emit("whoami", {"extra": 1}) is None  # a fair signal still goes through
        assert eve.receive("you")["user"] is None
        sid = eve.sid
    log = server.log()
    assert log.count(f"signal from {sid} on /simple: signal 'whoami': ['{key}'] are set by the server") == 1
    assert "Traceback" not in log
