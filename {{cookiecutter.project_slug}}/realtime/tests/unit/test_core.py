"""The transport-neutral core, exercised with an in-memory socket.

Transports are tested live in their own modules; here every rule of the core
(signals, acks, refusals, rooms, delivery, envelopes, settings) is checked
without a network, so a failure points at the core itself.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

import realtime
from realtime import conf, dispatch, origins, signals
from realtime.envelope import Envelope
from realtime.events import Event
from realtime.exceptions import AlreadyAcknowledged, BadEnvelope, ConnectionRefused
from realtime.registry import SocketRegistry, connected_sockets
from realtime.testing.memory import MemorySocket, memory_transport

#: dispatch tidies the DB connection as a view would; once any test of the run
#: has used the database, that needs DB access (pytest-django runs DB tests first).
pytestmark = pytest.mark.django_db


@pytest.fixture
def adapter():
    with memory_transport() as a:
        yield a


def connect(sid, **kw):
    return MemorySocket(sid=sid, **kw).connect()


@pytest.fixture
def listen():
    """Connect receivers for one test only."""
    connected = []

    def _listen(signal, func):
        signal.connect(func, weak=False)
        connected.append((signal, func))
        return func

    yield _listen
    for signal, func in connected:
        signal.disconnect(func)


# -- Event -----------------------------------------------------------------


def test_event_data_follows_django_realtimes_shape():
    assert Event("a").data is None
    assert Event("a", [1]).data == 1
    assert Event("a", [1, 2]).data == [1, 2]


def test_second_ack_is_an_error_not_a_second_packet():
    sent = []
    event = Event("a", [], ack=lambda *a: sent.append(a))
    assert event.acknowledgeable() and not event.acknowledged()
    event.ack("x")
    with pytest.raises(AlreadyAcknowledged):
        event.ack("y")
    assert sent == [("x",)] and event.acknowledged()


def test_ack_on_an_event_without_callback_is_a_quiet_no_op():
    assert Event("a").ack("ignored") is False


# -- dispatch ----------------------------------------------------------------


def test_connect_and_disconnect_fire_once_and_registry_follows(adapter, listen):
    seen = []
    listen(signals.socket_connected, lambda sender, request, **kw: seen.append(("in", sender.sid, request)))
    listen(signals.socket_disconnected, lambda sender, request, **kw: seen.append(("out", sender.sid)))
    s = connect("a")
    assert s in connected_sockets and seen[0][:2] == ("in", "a") and seen[0][2] is s.request
    dispatch.disconnect(s)
    dispatch.disconnect(s)
    assert s not in connected_sockets
    assert [x[:2] for x in seen] == [("in", "a"), ("out", "a")]


def test_disconnect_without_connect_is_harmless(listen):
    seen = []
    listen(signals.socket_disconnected, lambda **kw: seen.append(1))
    dispatch.disconnect(MemorySocket(sid="never"))
    assert seen == []


def test_refusing_receiver_refuses_and_leaves_nothing_behind(adapter, listen):
    def refuse(sender, **kw):
        sender.join("lobby")
        raise ConnectionRefused("login required")

    gone = []
    listen(signals.socket_connected, refuse)
    listen(signals.socket_disconnected, lambda **kw: gone.append(1))
    s = MemorySocket(sid="r")
    with pytest.raises(ConnectionRefused, match="login required"):
        dispatch.connect(s)
    assert s not in connected_sockets and connected_sockets.in_room("lobby") == []
    dispatch.disconnect(s)
    assert gone == []


def test_crashing_connect_receiver_fails_closed(adapter, listen):
    def crash(**kw):
        raise KeyError("a receiver's bug")

    listen(signals.socket_connected, crash)
    with pytest.raises(ConnectionRefused, match="server error"):
        dispatch.connect(MemorySocket(sid="c"))


def test_event_reaches_generic_and_typed_signals_and_return_value_acks(adapter, listen):
    got = []
    listen(signals.socket_client_event, lambda sender, event, **kw: got.append(("any", event.name)))
    listen(signals.socket_client_event_by_type["sum"], lambda event, **kw: sum(event.args))
    s = connect("e")
    acks = []
    dispatch.event(s, "sum", [1, 2, 3], ack=lambda *a: acks.append(a))
    assert got == [("any", "sum")] and acks == [(6,)]


def test_tuple_return_acks_with_several_arguments_and_explicit_ack_wins(adapter, listen):
    listen(signals.socket_client_event_by_type["pair"], lambda event, **kw: ("a", "b"))
    listen(signals.socket_client_event_by_type["explicit"], lambda event, **kw: event.ack("mine") and "ignored")
    s = connect("t")
    acks = []
    dispatch.event(s, "pair", [], ack=lambda *a: acks.append(a))
    dispatch.event(s, "explicit", [], ack=lambda *a: acks.append(a))
    assert acks == [("a", "b"), ("mine",)]


def test_unknown_and_reserved_events_are_answered_with_an_error(adapter, caplog):
    s = connect("u")
    acks = []
    dispatch.event(s, "nobody-listens", [1], ack=lambda *a: acks.append(a))
    dispatch.event(s, "nobody-listens", [1])
    dispatch.event(s, "disconnect", [])
    assert acks == [({"error": "unknown_event", "message": "no receiver for event 'nobody-listens'"},)]
    assert [e["error"] for e in s.got("error")] == ["unknown_event", "bad_event"]
    assert sum("dropped event" in r.message for r in caplog.records) == 3


def test_raising_receiver_is_logged_once_and_the_client_gets_an_error(adapter, listen, caplog):
    def boom(**kw):
        raise RuntimeError("boom")

    listen(signals.socket_client_event_by_type["boom"], boom)
    s = connect("b")
    acks = []
    dispatch.event(s, "boom", [], ack=lambda *a: acks.append(a))
    assert acks == [({"error": "server_error", "message": "the server failed to handle this event"},)]
    assert sum("raised" in r.message for r in caplog.records) == 1
    assert s in connected_sockets


# -- rooms, broadcasts and delivery -----------------------------------------------


def test_rooms_broadcast_and_emit_reach_exactly_the_right_sockets(adapter):
    a, b, c = connect("a"), connect("b"), connect("c")
    other = connect("x", endpoint="/simple")
    a.join("lobby")
    b.join("lobby")
    assert a.rooms == {"lobby"} and connected_sockets.rooms() == ["lobby"]

    realtime.emit("hello", 1, room="lobby")
    a.broadcast_emit("shout", "hi")
    realtime.emit("direct", to="c")
    assert a.events == [("hello", [1])]
    assert b.events == [("hello", [1]), ("shout", ["hi"])]
    assert c.events == [("shout", ["hi"]), ("direct", [])]
    assert other.events == []
    assert adapter.encodes == 3  # one encode per envelope, however many sockets


def test_disconnect_leaves_rooms_and_sends_left_signals(adapter, listen):
    left = []
    listen(signals.socket_left_room, lambda sender, room, **kw: left.append((sender.sid, room)))
    s = connect("l")
    s.join("r1")
    s.join("r2")
    dispatch.disconnect(s)
    assert sorted(left) == [("l", "r1"), ("l", "r2")] and connected_sockets.in_room("r1") == []


def test_registry_iteration_is_a_snapshot():
    reg = SocketRegistry()
    socks = [MemorySocket(sid=str(i)) for i in range(3)]
    for s in socks:
        reg.add(s)
    for s in reg:
        reg.remove(s)
    assert len(reg) == 0 and reg.remove(socks[0]) is False


# -- envelopes ---------------------------------------------------------------------


def test_envelope_round_trips_and_is_encoded_once():
    env = Envelope.for_event("chat", [{"text": "<b>"}], room="lobby", skip="s1")
    raw = env.to_json()
    assert env.to_json() is raw
    back = Envelope.from_json(raw)
    assert (back.event, back.args, back.room, back.skip) == ("chat", [{"text": "<b>"}], "lobby", "s1")
    assert back.endpoint == "/"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "nope",
        "[]",
        '{"v": 2}',
        '{"v":1,"kind":"event","args":[]}',
        '{"v":1,"kind":"message","args":{}}',
        '{"v":1,"kind":"message","args":[],"room":5}',
        b"\xff",
    ],
)
def test_bad_envelopes_are_rejected_clearly(raw):
    with pytest.raises(BadEnvelope):
        Envelope.from_json(raw)


def test_non_json_data_fails_at_publish_with_a_type_error():
    with pytest.raises(TypeError):
        Envelope.for_event("x", [object()]).to_json()


# -- settings and origins ---------------------------------------------------------------


@override_settings(REALTIME_PING_INTERVAL=0.3, REALTIME_PING_TIMEOUT=0.2)
def test_sub_second_ping_settings_are_accepted():
    assert (conf.ping_interval(), conf.ping_timeout()) == (0.3, 0.2)


@pytest.mark.parametrize("name", ["REALTIME_PING_INTERVAL", "REALTIME_PING_TIMEOUT"])
@pytest.mark.parametrize("value", [0.05, 0, -1, "25", True])
def test_ping_settings_below_100_ms_or_not_numbers_are_refused(name, value):
    with override_settings(**{name: value}):
        with pytest.raises(ImproperlyConfigured, match=f"{name} must be a number >= 0.1"):
            conf.check_all()


@override_settings(REALTIME_BUS_BACKEND="no.such.Bus")
def test_bad_bus_backend_names_the_setting():
    with pytest.raises(ImproperlyConfigured, match="REALTIME_BUS_BACKEND"):
        conf.check_all()


def _environ(host, scheme="http"):
    return {"HTTP_HOST": host, "wsgi.url_scheme": scheme, "SERVER_NAME": "x", "SERVER_PORT": "80"}


@override_settings(
    ALLOWED_HOSTS=["example.com", ".example.org"],
    CSRF_TRUSTED_ORIGINS=["https://app.test:8443"],
    REALTIME_ALLOWED_ORIGINS=None,
    DEBUG=False,
)
def test_origins_default_to_the_same_origin_and_csrf_trusted_origins():
    here = _environ("example.com", "https")
    assert origins.origin_allowed(None, here)
    assert origins.origin_allowed("https://example.com", here)
    assert origins.origin_allowed("https://example.com:443", here)
    assert not origins.origin_allowed("http://example.com:8000", here)
    assert not origins.origin_allowed("https://chat.example.org", here)
    assert origins.origin_allowed("https://chat.example.org", _environ("chat.example.org", "https"))
    assert origins.origin_allowed("https://app.test:8443", here)
    assert not origins.origin_allowed("https://evil.test", here)
    assert not origins.origin_allowed("https://example.com.evil.test", here)
    assert not origins.origin_allowed("null", here)


@override_settings(REALTIME_ALLOWED_ORIGINS=["https://only.test"])
def test_explicit_origin_list_replaces_the_default():
    assert origins.origin_allowed("https://only.test", _environ("example.com"))
    assert not origins.origin_allowed("http://example.com", _environ("example.com"))
