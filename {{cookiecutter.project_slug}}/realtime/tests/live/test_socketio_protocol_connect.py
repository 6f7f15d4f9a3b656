"""``rungevent`` connects as Engine.IO v4 / Socket.IO v5 document: the handshake, namespaces, timeouts.

Raw requests and frames (see ``socketio_wire``), on the default namespace
and on ``/custom`` and ``/greet``.
"""

import time

import pytest
import requests
import websocket


from realtime.tests.live import socketio_wire
from realtime.tests.live.socketio_wire import (
    GREETINGS,
    NAMESPACES,
    eio_url,
    frames_within,
    open_polling,
    open_ws,
    poll,
    polled,
    post,
    prefix,
    token,
)

#: The protocol servers (module-scoped fixtures of ``socketio_wire``): default and fast pings.
server = socketio_wire.server
fast = socketio_wire.fast


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
