"""Client signals on a live ``runsocket`` (SockJS), as Django Client Signals' README uses them.

The connections are in ``testapp/clientsignals.py`` and mounted by
``testapp/settings_clientsignal.py``: ``/simple`` (its README's ping/pong),
``/private`` (login required), ``/per`` (per-connection listeners).
"""

import urllib.request
import uuid

import pytest

from realtime.testing import SockJSTestClient

TRANSPORTS = ["websocket", "xhr"]


def signals(server, url="/simple", transport="websocket", **kwargs):
    return SockJSTestClient(server.url + url, transport=transport, clientsignal=True, **kwargs)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_readme_ping_pong(sockjs_server, transport):
    with signals(sockjs_server, transport=transport) as sock:
        sock.signal("ping", ping="stringping")
        assert sock.receive_signal("pong") == {"pong": "Ponged"}
        sock.assert_nothing("pong", within=0.3)  # once, though declared on the class and module-level


def test_pong_to_the_pinger_alone(sockjs_server):
    with signals(sockjs_server) as pinger, signals(sockjs_server, transport="xhr") as other:
        pinger.signal("ping_me")
        reply = pinger.receive_signal("pong")
        assert reply["pong"] == "just you"
        other.assert_nothing("pong")
        other.signal("ping")  # the README's pong still reaches everyone
        assert pinger.receive_signal("pong") == other.receive_signal("pong") == {"pong": "Ponged"}


def test_receiver_gets_the_connection_and_the_user(sockjs_server):
    with signals(sockjs_server) as anon:
        anon.signal("whoami", extra=1, name="a key named like the signal argument")
        you = anon.receive_signal("you")
        assert you["user"] is None and you["connection"] == "PingSignalConnection"
        assert "extra" in you["kwargs"] and "request" not in you["kwargs"]
    with signals(sockjs_server, cookies=sockjs_server.login("carol")) as carol:
        carol.signal("whoami")
        assert carol.receive_signal("you")["user"] == "carol"


def test_listeners_are_per_connection(sockjs_server):
    """Django Client Signals' bug: a class-level listener dict, overwritten on every connect."""
    a, b, c = (signals(sockjs_server) for _ in range(3))
    try:
        a.signal("ping")
        for sock in (a, b, c):
            assert sock.receive_signal("pong") == {"pong": "Ponged"}
        c.close()
        c.wait_closed()
        b.signal("ping")
        assert a.receive_signal("pong") == {"pong": "Ponged"}
        assert b.receive_signal("pong") == {"pong": "Ponged"}
        c.assert_nothing("pong")
    finally:
        a.close()
        b.close()


def test_instance_listeners_die_with_their_connection(sockjs_server):
    listener = signals(sockjs_server, url="/per?listen=1")
    with signals(sockjs_server, url="/per") as quiet, signals(sockjs_server, url="/per?listen=1") as other:
        quiet.signal("fire", n=1)
        assert listener.receive_signal("tick") == {"n": 1, "name": "tick"} and other.receive_signal("tick") == {
            "n": 1,
            "name": "tick",
        }
        quiet.assert_nothing("tick", within=0.2)
        listener.close()
        listener.wait_closed()
        quiet.signal("fire", n=2)
        assert other.receive_signal("tick") == {"n": 2, "name": "tick"}
        listener.assert_nothing("tick", within=0.2)
    assert "Traceback" not in sockjs_server.log().split("receiver exploded on purpose")[-1]


def test_non_json_data_gives_a_clear_error(sockjs_server):
    """Django Client Signals' bug: its JSON encoder raised NameError."""
    with signals(sockjs_server) as sock:
        sock.signal("bad_pong")
        error = sock.receive_signal("error")
        assert error["error"] == "server_error"
        sock.signal("ping")  # still serving
        assert sock.receive_signal("pong") == {"pong": "Ponged"}
    log = sockjs_server.log()
    assert "signal 'pong': data is not JSON-serialisable" in log and "NameError" not in log


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_auth_refusal_really_refuses(sockjs_server, transport):
    """Django Client Signals' bug: its auth example never rejected anyone."""
    anon = signals(sockjs_server, url="/private", transport=transport)
    assert anon.receive_signal("error")["error"] == "refused"
    assert anon.wait_closed() == (4403, "refused")
    anon.close()
    with signals(sockjs_server, url="/private", transport=transport, cookies=sockjs_server.login("dave")) as dave:
        dave.signal("hello", x=1)
        assert dave.receive_signal("hello")["user"] == "dave"


def test_unknown_and_malformed_signals(sockjs_server):
    with signals(sockjs_server) as sock:
        sock.signal("nobody_listens", a=1)
        assert sock.receive_signal("error")["error"] == "unknown_signal"
        sock.send_raw('{"no": "event key"}', "[]", '{"event": "ping", "data": [1]}', '{"event": "x y"}')
        codes = [sock.receive_signal("error")["error"] for _ in range(4)]
        assert codes == ["bad_frame", "bad_frame", "bad_data", "bad_signal"]
        sock.send_raw('{"event": "ping", "data": {"sender": 1}}')
        assert sock.receive_signal("error")["error"] == "reserved_key"
        sock.signal("add", a=1, b=2)  # an event_<name> method
        assert sock.receive_signal("sum") == {"value": 3}
        sock.signal("add", a=1, c=2)  # keys that do not fit its signature
        assert sock.receive_signal("error")["error"] == "bad_data"
        sock.signal("boom")
        assert sock.receive_signal("error")["error"] == "server_error"
        sock.signal("ping", big="x" * 9000)
        assert sock.receive_signal("error")["error"] == "too_large"
        sock.signal("ping")
        assert sock.receive_signal("pong") == {"pong": "Ponged"}


def test_broadcast_signal_from_a_django_view(sockjs_server):
    text = uuid.uuid4().hex
    with signals(sockjs_server) as sock:
        urllib.request.urlopen(f"{sockjs_server.url}/testapp/pong?text={text}").read()
        assert sock.receive_signal("pong") == {"pong": text}


def test_bad_origin_refused(sockjs_server):
    sock = signals(sockjs_server, headers={"Origin": "https://evil.example"})
    assert sock.connect_error == 403
    sock.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_client_cannot_set_a_kwarg_the_server_supplies(sockjs_server, transport):
    """Issue 16, point 12: ``{"user": "admin"}`` must not reach a receiver taking ``user``."""
    before = len(sockjs_server.log())
    with signals(sockjs_server, transport=transport) as eve:
        for key in ("request", "user", "socket", "connection", "session"):
            eve.signal("whoami", **{key: "admin"})
            error = eve.receive_signal("error")
            assert error["error"] == "reserved_key" and key in error["message"], error
        eve.assert_nothing("you")  # the receiver never ran
        eve.signal("whoami", extra=1)
        assert eve.receive_signal("you")["user"] is None
    log = sockjs_server.log()[before:]
    assert log.count("on /simple: signal 'whoami': ['user'] are set by the server") == 1
