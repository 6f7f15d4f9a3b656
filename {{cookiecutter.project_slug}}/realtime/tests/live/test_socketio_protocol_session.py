"""An open ``rungevent`` session as Engine.IO v4 / Socket.IO v5 document: pings, packets, polls, upgrade.

Raw requests and frames (see ``socketio_wire``), on the default namespace
and on ``/custom`` and ``/greet``.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests


from realtime.tests.live import socketio_wire
from realtime.tests.live.socketio_wire import (
    closed,
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
