"""``rungevent`` speaks Engine.IO v4 / Socket.IO v5 as the protocol documents say.

Everything here is raw: HTTP requests (``requests``) and websocket frames
(websocket-client), no Socket.IO library, so what is asserted is what goes
over the wire. Each case runs on the default namespace and on another one:
``/custom`` (served by the same signals) and ``/greet`` (a client-signal
connection that sends a signal from ``on_open``). The receivers are
``protocolapp``'s: the server the socket.io-protocol test suite expects.
"""

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websocket

from realtime.testing import LiveServer

APPS = ["realtime.tests.protocolapp"]
SETTINGS = "realtime.tests.protocolapp.settings"
#: namespace -> the first event its connect sends (before the client could ask anything)
GREETINGS = {"/": "auth", "/custom": "auth", "/greet": "hello"}
NAMESPACES = list(GREETINGS)


def live(**settings):
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "REALTIME_TEST_SETTINGS": json.dumps(settings)}
    return LiveServer("rungevent", extra_apps=APPS, env=env)


@pytest.fixture(scope="module")
def server():
    """Default pings (25 s / 20 s): none arrive during a test."""
    with live(REALTIME_MAX_MESSAGE_BYTES=50_000) as s:
        yield s


@pytest.fixture(scope="module")
def fast():
    """300 ms / 200 ms pings (the protocol suite's) and a 1 s connect timeout."""
    with live(REALTIME_PING_INTERVAL=0.3, REALTIME_PING_TIMEOUT=0.2, REALTIME_CONNECT_TIMEOUT=1) as s:
        yield s


# -- raw helpers -------------------------------------------------------------------------------
def prefix(namespace):
    """How a namespace appears in a packet: nothing for "/", "/custom," otherwise."""
    return "" if namespace == "/" else namespace + ","


def eio_url(server, query=""):
    return f"{server.url}/socket.io/?EIO=4&transport=polling{query}"


def open_ws(server, query="", sid=None):
    """A raw websocket; returns (ws, the OPEN packet's data) (or, for an upgrade, (ws, None))."""
    url = server.url.replace("http://", "ws://") + f"/socket.io/?EIO=4&transport=websocket{query}"
    if sid:
        return websocket.create_connection(url + f"&sid={sid}", timeout=5), None
    ws = websocket.create_connection(url, timeout=5)
    opened = ws.recv()
    assert opened.startswith("0{"), opened
    return ws, json.loads(opened[1:])


def open_polling(server, query=""):
    response = requests.get(eio_url(server, query), timeout=5)
    assert response.status_code == 200 and response.text.startswith("0{"), response.text
    return json.loads(response.text[1:])


def poll(server, sid, timeout=5):
    """One GET: the packets it carried (split on the record separator)."""
    response = requests.get(eio_url(server, f"&sid={sid}"), timeout=timeout)
    assert response.status_code == 200, (response.status_code, response.text)
    return response.text.split("\x1e")


def post(server, sid, body):
    return requests.post(eio_url(server, f"&sid={sid}"), data=body.encode(), timeout=5)


def polled(server, sid, count):
    """The next ``count`` packets over long-polling, whatever number of GETs that takes."""
    packets = []
    while len(packets) < count:
        packets += poll(server, sid)
    return packets


def frames_within(ws, seconds):
    """Every frame that arrives within ``seconds`` (pings answered, not listed)."""
    frames, deadline = [], time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ws.settimeout(left)
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            break
        if frame == "2":
            ws.send("3")
        else:
            frames.append(frame)
    ws.settimeout(5)
    return frames


def closed(ws, within=5):
    """True once the server ends the websocket (a CLOSE packet, then the close frame)."""
    ws.settimeout(within)
    try:
        while True:
            frame = ws.recv()
            if frame == "":  # websocket-client's answer to a close frame
                return True
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return True
    except websocket.WebSocketTimeoutException:
        return False


def token():
    return uuid.uuid4().hex[:10]


# -- 1. nothing before the namespace's CONNECT ---------------------------------------------
@pytest.mark.parametrize("namespace", NAMESPACES)
def test_connect_time_events_follow_connect_over_websocket(server, namespace):
    room = token()
    ws, _ = open_ws(server, f"&burst=3&room={room}")
    ws.send(f'40{prefix(namespace)}{{"token":"t"}}')
    frames = [ws.recv() for _ in range(6 if namespace != "/greet" else 2)]
    head = f"40{prefix(namespace)}"
    assert frames[0].startswith(head + '{"sid":"'), frames
    greeting = frames[1]
    assert greeting.startswith(f'42{prefix(namespace)}["{GREETINGS[namespace]}"'), frames
    if namespace != "/greet":
        assert greeting == f'42{prefix(namespace)}["auth",{{"token":"t"}}]'
        body = f"42{prefix(namespace)}"
        assert frames[2:] == [
            f'{body}["burst",0]',
            f'{body}["burst",1]',
            f'{body}["burst",2]',
            f'{body}["room_hello","{room}"]',  # delivered through the bus, still after CONNECT
        ]
    ws.close()


@pytest.mark.parametrize("namespace", ["/", "/custom"])
def test_an_event_with_an_ack_sent_while_connecting_follows_connect(server, namespace):
    ws, _ = open_ws(server, "&ask=ready")
    ws.send(f"40{prefix(namespace)}")
    frames = [ws.recv() for _ in range(3)]
    assert frames[0].startswith(f'40{prefix(namespace)}{{"sid":"'), frames
    assert frames[1] == f'42{prefix(namespace)}["auth",{{}}]'
    head = f"42{prefix(namespace)}"
    assert frames[2].startswith(head) and frames[2].endswith('["question","ready"]'), frames
    ack_id = frames[2][len(head) : frames[2].index("[")]
    ws.send(f'43{prefix(namespace)}{ack_id}["yes"]')
    assert ws.recv() == f'42{prefix(namespace)}["answered","yes"]'
    ws.close()


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_connect_time_events_follow_connect_over_polling(server, namespace):
    sid = open_polling(server, "&burst=2")["sid"]
    assert post(server, sid, f"40{prefix(namespace)}").text == "OK"
    packets = polled(server, sid, 4 if namespace != "/greet" else 2)
    assert packets[0].startswith(f'40{prefix(namespace)}{{"sid":"'), packets
    assert packets[1].startswith(f'42{prefix(namespace)}["{GREETINGS[namespace]}"'), packets
    if namespace != "/greet":
        assert packets[2:] == [f'42{prefix(namespace)}["burst",0]', f'42{prefix(namespace)}["burst",1]']


# -- 2. ping interval and timeout in milliseconds ---------------------------------------------
def test_handshake_advertises_exact_milliseconds_and_our_message_limit(server, fast):
    for transport in ("polling", "websocket"):
        if transport == "polling":
            opened = open_polling(fast)
        else:
            ws, opened = open_ws(fast)
            ws.close()
        assert (opened["pingInterval"], opened["pingTimeout"]) == (300, 200), opened
        assert opened["maxPayload"] == 64 * 1024  # REALTIME_MAX_MESSAGE_BYTES' default
    assert open_polling(server)["maxPayload"] == 50_000
    assert (open_polling(server)["pingInterval"], open_polling(server)["pingTimeout"]) == (25_000, 20_000)


def test_pings_come_every_interval_and_pongs_keep_the_session(fast):
    ws, _ = open_ws(fast)
    ws.send("40")
    assert ws.recv().startswith('40{"sid"')
    assert ws.recv() == '42["auth",{}]'
    started, pings = time.monotonic(), []
    while len(pings) < 4:
        frame = ws.recv()
        if frame == "2":
            pings.append(time.monotonic() - started)
            ws.send("3")
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert all(0.25 < gap < 0.9 for gap in gaps), gaps  # 300 ms (plus this client's delay), not whole seconds
    ws.send('42["message","still here"]')
    assert ws.recv() in ('42["message-back","still here"]', "2")
    ws.close()


def _ping_timeout_delays(fast, transport, attempts=5):
    """Seconds from each unanswered PING to the session's end, as the client sees it."""
    delays = []
    for _ in range(attempts):
        if transport == "websocket":
            ws, _ = open_ws(fast)
            assert ws.recv() == "2"
            pinged = time.monotonic()
            assert closed(ws, within=3)
        else:
            sid = open_polling(fast)["sid"]
            assert poll(fast, sid) == ["2"]
            pinged = time.monotonic()
            assert poll(fast, sid) == ["1"]  # the pending poll ends with CLOSE at the deadline
        delays.append(time.monotonic() - pinged)
    return delays


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_ping_timeout_closes_the_session_within_100_ms_of_its_deadline(fast, transport):
    delays = _ping_timeout_delays(fast, transport)
    # Seen from the client, each delay is off by how late the PING reached it: on a busy
    # machine one attempt can look early or late, so judge the best and the worst of five.
    assert max(delays) > 0.15, delays  # the session waited for the pong
    assert min(delays) < 0.2 + 0.1, delays  # and closed at most 100 ms after the deadline


# -- 3. handshake errors -------------------------------------------------------------------
@pytest.mark.parametrize(
    "method, query",
    [
        ("GET", "?EIO=4"),  # no transport
        ("GET", "?EIO=4&transport=abc"),  # unknown transport
        ("GET", "?transport=polling"),  # no EIO
        ("GET", "?EIO=3&transport=polling"),  # an older protocol
        ("PUT", "?EIO=4&transport=polling"),
        ("DELETE", "?EIO=4&transport=polling"),
        ("PATCH", "?EIO=4&transport=polling"),
        ("GET", "?EIO=4&transport=polling&sid=nosuchsid"),
        ("POST", "?EIO=4&transport=polling&sid=nosuchsid"),
        ("POST", "?EIO=4&transport=polling"),  # a POST needs a session
    ],
)
def test_handshake_errors_are_400(server, method, query):
    response = requests.request(method, f"{server.url}/socket.io/{query}", data=b"40", timeout=5)
    assert response.status_code == 400, (response.status_code, response.text)


def test_websocket_with_an_unknown_sid_or_transport_is_refused_with_400(server):
    base = server.url.replace("http://", "ws://") + "/socket.io/"
    for query in ("?EIO=4&transport=websocket&sid=nosuchsid", "?EIO=4&transport=abc", "?transport=websocket"):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(base + query, timeout=5)
        assert refused.value.status_code == 400, query


def test_options_and_connection_close_are_honoured(server):
    assert requests.options(eio_url(server), timeout=5).status_code == 200
    response = requests.get(eio_url(server), headers={"Connection": "close"}, timeout=5)
    assert response.status_code == 200 and response.headers["Connection"] == "close"


# -- 4. invalid packets, overlapping polls, client CLOSE -------------------------------------
@pytest.mark.parametrize("namespace", ["/custom", "/greet"])
def test_invalid_packet_on_another_namespace_closes_the_session(server, namespace):
    ws, _ = open_ws(server)
    ws.send(f"40{prefix(namespace)}")
    assert ws.recv().startswith(f"40{prefix(namespace)}")
    t = token()
    ws.send(f'42{prefix(namespace)}{{"not":"{t}"}}')
    assert closed(ws)
    deadline = time.monotonic() + 5
    while t not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [line for line in server.log().splitlines() if t in line]
    assert len(lines) == 1 and "closing Engine.IO session" in lines[0], lines


def test_a_second_pending_poll_closes_the_session(server):
    sid = open_polling(server)["sid"]
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(requests.get, eio_url(server, f"&sid={sid}"), timeout=5)
        time.sleep(0.3)
        second = requests.get(eio_url(server, f"&sid={sid}"), timeout=5)
        assert second.status_code == 400
        assert (first.result().status_code, first.result().text) == (200, "1")
    assert requests.get(eio_url(server, f"&sid={sid}"), timeout=5).status_code == 400
    assert f"closing Engine.IO session {sid}: a second poll arrived" in server.log()


def test_client_close_ends_the_pending_poll_with_noop(server):
    sid = open_polling(server)["sid"]
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, eio_url(server, f"&sid={sid}"), timeout=5)
        time.sleep(0.3)
        assert post(server, sid, "1").status_code == 200
        assert (pending.result().status_code, pending.result().text) == (200, "6")
    assert requests.get(eio_url(server, f"&sid={sid}"), timeout=5).status_code == 400


def test_client_close_over_websocket_closes_it(server):
    ws, _ = open_ws(server)
    ws.send("1")
    assert closed(ws)


# -- 5. upgrade: the NOOP that ends the poll stays on polling ---------------------------------
@pytest.mark.parametrize("pending_poll", [False, True], ids=["no-poll-pending", "poll-pending"])
@pytest.mark.parametrize("namespace", ["/", "/custom"])
def test_upgrade_noop_never_travels_over_the_websocket(server, namespace, pending_poll):
    sid = open_polling(server)["sid"]
    assert post(server, sid, f"40{prefix(namespace)}").text == "OK"
    assert polled(server, sid, 2)[0].startswith(f"40{prefix(namespace)}")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, eio_url(server, f"&sid={sid}"), timeout=5) if pending_poll else None
        time.sleep(0.2)
        ws, _ = open_ws(server, sid=sid)
        ws.send("2probe")
        assert ws.recv() == "3probe"
        if pending:
            assert pending.result().text == "6"  # the poll ends with NOOP...
        ws.send("5")
        ws.send(f'42{prefix(namespace)}7["message-with-ack","over ws"]')
        frames = frames_within(ws, 0.7)
    assert f'43{prefix(namespace)}7["over ws"]' in frames, frames
    assert "6" not in frames, frames  # ...which never reaches the websocket
    ws.close()


def test_polling_after_upgrade_is_refused(server):
    sid = open_polling(server)["sid"]
    ws, _ = open_ws(server, sid=sid)
    ws.send("2probe")
    assert ws.recv() == "3probe"
    ws.send("5")
    time.sleep(0.2)
    assert requests.get(eio_url(server, f"&sid={sid}"), timeout=5).status_code == 400
    ws.close()


# -- 6. namespaces -------------------------------------------------------------------------
def test_unknown_namespace_gets_invalid_namespace(server):
    ws, _ = open_ws(server)
    ws.send("40/random,")
    assert ws.recv() == '44/random,{"message":"Invalid namespace"}'
    ws.send("40")  # the session is still usable
    assert ws.recv().startswith('40{"sid"')
    ws.close()
    sid = open_polling(server)["sid"]
    post(server, sid, "40/random,")
    assert poll(server, sid) == ['44/random,{"message":"Invalid namespace"}']


@pytest.mark.parametrize("namespace", ["/", "/custom"])
def test_a_refused_connection_keeps_its_own_message(server, namespace):
    ws, _ = open_ws(server, "&refuse=not+today")
    ws.send(f"40{prefix(namespace)}")
    assert ws.recv() == f'44{prefix(namespace)}{{"message":"not today"}}'
    ws.close()


# -- connect timeout -------------------------------------------------------------------------
def test_a_session_that_joins_no_namespace_is_closed_after_the_connect_timeout(fast):
    ws, _ = open_ws(fast)
    started = time.monotonic()
    while True:  # answer pings, join nothing
        try:
            frame = ws.recv()
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            break
        if frame == "2":
            ws.send("3")
        elif frame in ("1", ""):
            break
    assert 0.9 < time.monotonic() - started < 3
    ws2, _ = open_ws(fast)  # one that joins stays
    ws2.send("40")
    assert ws2.recv().startswith('40{"sid"')
    assert ws2.recv() == '42["auth",{}]'
    assert frames_within(ws2, 1.5) == []  # past the connect timeout, pings answered
    ws2.send('42["message","alive"]')
    assert '42["message-back","alive"]' in frames_within(ws2, 1)
    ws2.close()
