"""SockJS on a live ``runsocket``: the core API over websocket and xhr-polling.

What every transport does (connect, refuse, events, acks both ways, rooms,
close, origin) is ``test_transport_contract.py``; this module keeps what is
particular to this transport or not in the contract.

Each test talks to one shared server (``sockjs_server`` in conftest) with
real SockJS clients, and uses its own rooms and data.
"""

import json
import urllib.request
import uuid

import pytest

from realtime.testing import SockJSTestClient

TRANSPORTS = ["websocket", "xhr"]


def client(server, transport="websocket", query="", **kwargs):
    return SockJSTestClient(f"{server.url}/sockjs{query}", transport=transport, **kwargs)


def test_broadcast_emit_excludes_sender_and_reaches_both_transports(sockjs_server):
    with client(sockjs_server) as a, client(sockjs_server, "xhr") as b, client(sockjs_server) as c:
        token = uuid.uuid4().hex
        a.emit("broadcast", token)
        assert b.receive("broadcast") == token
        assert c.receive("broadcast") == token
        a.assert_nothing("broadcast")
        b.emit("broadcast_send", {"t": token})
        assert a.receive_message() == {"t": token} and c.receive_message() == {"t": token}
        b.assert_nothing("\0message", within=0.2)


def test_emit_from_a_django_view_reaches_sockjs_clients(sockjs_server):
    room = "view-" + uuid.uuid4().hex[:8]
    with client(sockjs_server) as c:
        c.emit("join", room)
        urllib.request.urlopen(f"{sockjs_server.url}/testapp/emit?room={room}&text=hey").read()
        assert c.receive("from_view") == "hey"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_refusal_really_refuses(sockjs_server, transport):
    c = client(sockjs_server, transport, query="?refuse=1")
    assert not c.connected and c.connect_error == "refused by test receiver"
    assert c.wait_closed() == (4403, "refused")
    c.close()
    private = client(sockjs_server, transport, query="?private=1")
    assert private.connect_error == "login required"
    private.close()
    cookies = sockjs_server.login("bob")
    with client(sockjs_server, transport, query="?private=1", cookies=cookies) as bob:
        assert bob.connected and bob.receive("welcome")["user"] == "bob"


def test_server_disconnect_and_disconnect_signal(sockjs_server):
    with client(sockjs_server, query="?observer=1") as observer, client(sockjs_server) as c:
        observer.receive("welcome")
        c.emit("kick", ack=False)
        assert c.wait_closed()[0] == 4000
        assert observer.receive("gone") == c.sid
    assert f"{c.sid} disconnected" in sockjs_server.log()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_bad_input_is_answered_and_the_server_keeps_serving(sockjs_server, transport):
    with client(sockjs_server, transport) as c:
        # raising receiver, reserved name (unknown events: the test app has a
        # catch-all socket_client_event receiver; see test_clientsignal for unknown signals)
        assert c.emit("boom")["error"] == "server_error"
        c.emit("disconnect", ack=False)
        assert c.receive("error")["error"] == "bad_event"
        # JSON, but not our frame
        c.send_raw("[1, 2]", '{"type": "nope"}', "not json at all", json.dumps({"type": "event", "args": "x"}))
        for _ in range(4):
            assert c.receive("error")["error"] == "bad_frame"
        # oversized message (REALTIME_MAX_MESSAGE_BYTES = 8192 in these settings)
        c.emit("echo", "x" * 9000, ack=False)
        assert c.receive("error")["error"] == "too_large"
        big = json.dumps({"type": "event", "event": "echo", "args": ["é" * 4500]}, ensure_ascii=False)
        status = c.send_raw(big)  # 4.5k characters, but over 8k bytes
        if transport == "xhr":
            assert status == 413  # each é is a 6-byte \u00e9 in the frame: 27 KB, over the body limit
        else:
            assert c.receive("error")["error"] == "too_large"
        assert c.emit("echo", "still here") == "still here"
    # a SockJS frame that is not JSON at all closes that connection abruptly (the protocol), not the server
    with client(sockjs_server, transport) as c:
        status = c.send_frame("{{{ not json")
        if transport == "websocket":
            assert c.wait_closed() == (1006, "connection dropped")
        else:
            assert status == 500
            assert c.emit("echo", 1) == 1
    with client(sockjs_server) as c:
        assert c.emit("echo", "server still serving") == "server still serving"
    assert "Traceback" not in sockjs_server.log().split("receiver exploded on purpose")[-1]


def test_bad_origin_is_refused_on_every_transport(sockjs_server):
    for transport in TRANSPORTS:
        c = client(sockjs_server, transport, headers={"Origin": "http://evil.example"})
        assert not c.connected and c.connect_error == 403
        c.close()
    with client(sockjs_server, headers={"Origin": sockjs_server.url}) as ok:
        assert ok.connected
    request = urllib.request.Request(f"{sockjs_server.url}/sockjs/info", headers={"Origin": "http://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403


def test_http_hardening(sockjs_server):
    with urllib.request.urlopen(f"{sockjs_server.url}/sockjs/info") as response:
        assert "no-transform" in response.headers["Cache-Control"]
    with urllib.request.urlopen(f"{sockjs_server.url}/healthz") as response:
        assert json.loads(response.read())["status"] == "ok"
    for transport in ("jsonp", "htmlfile"):  # sockjs-tornado 1.0.7 echoes the callback unvalidated
        url = f"{sockjs_server.url}/sockjs/000/abc/{transport}?c=alert(1)//"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url)
        assert refused.value.code == 500 and refused.value.read() == b'invalid "callback" parameter'
    body = urllib.request.urlopen(f"{sockjs_server.url}/sockjs/iframe.html").read().decode()
    assert "/static/realtime/sockjs.min.js" in body and "cdn" not in body


def test_plain_sockjs_connection_can_be_mounted(sockjs_server):
    with SockJSTestClient(f"{sockjs_server.url}/plain", clientsignal=True) as c:
        c.send_raw("hello")
        assert c.receive_raw() == "echo:hello"


def test_django_pages_that_set_cookies_answer_under_runsocket(sockjs_server):
    """Django writes ``Set-Cookie`` values with a leading space; tornado 6.6 refused them and the
    request hung (the login page, logout, any CSRF form). ``runsocket`` trims them."""
    with urllib.request.urlopen(f"{sockjs_server.url}/admin/login/", timeout=10) as response:
        assert response.status == 200
        cookies = response.headers.get_all("Set-Cookie")
    assert cookies and all(c.startswith("csrftoken=") for c in cookies), cookies
