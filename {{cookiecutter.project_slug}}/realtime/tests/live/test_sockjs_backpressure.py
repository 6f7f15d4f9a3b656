"""Backpressure over a SockJS websocket: a flooding client is read more slowly, not cut off.

The socket's receivers run in worker threads (:mod:`.workers`); while
``HIGH_WATER`` of its tasks wait, tornado reads no more frames from it. Before,
a client with 1,000 tasks waiting was closed (4429 "overloaded").
"""

import json
import threading
import time
import uuid

import pytest
import websocket

from realtime.testing import LiveServer

from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS

FLOOD = 10_000
#: The flood measures backpressure, not the per-connection event limit (REALTIME_EVENT_RATE): off.
NO_EVENT_LIMIT = {"REALTIME_TEST_SETTINGS": json.dumps({"REALTIME_EVENT_RATE": 0})}


@pytest.fixture(scope="module")
def sockjs_server():
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS, **NO_EVENT_LIMIT}
    with LiveServer("runsocket", args=["--django"], extra_apps=TEST_APPS, env=env) as server:
        yield server


def frame(event, *args, id=None):
    message = {"type": "event", "event": event, "args": list(args)}
    if id is not None:
        message["id"] = id
    return json.dumps([json.dumps(message)])


def open_ws(server):
    url = f"ws://127.0.0.1:{server.port}/sockjs/000/{uuid.uuid4().hex[:8]}/websocket"
    ws = websocket.create_connection(url, timeout=30)
    assert ws.recv() == "o"
    return ws


def events(ws, name, count, deadline):
    """Arguments of each ``name`` event received, until ``count`` or the deadline."""
    got = []
    ws.settimeout(1)
    while len(got) < count and time.monotonic() < deadline:
        try:
            data = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        if not data.startswith("a"):
            continue
        for text in json.loads(data[1:]):
            message = json.loads(text)
            if message.get("type") == "event" and message.get("event") == name:
                got.append(message["args"][0])
    return got


def join(ws, room):
    """Join ``room`` on ``ws`` and wait (10 s at most) for the ack: no flood before the member is in."""
    ws.send(frame("join", room, id=1))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        data = ws.recv()
        if data.startswith("a") and any(json.loads(t).get("type") == "ack" for t in json.loads(data[1:])):
            return


def read_flood(ws, got):
    """A started thread appending the ``FLOOD`` room messages ``ws`` receives (120 s at most) to ``got``."""
    deadline = time.monotonic() + 120
    reading = threading.Thread(target=lambda: got.extend(events(ws, "room_message", FLOOD, deadline)))
    reading.start()
    return reading


def test_ten_thousand_events_back_to_back_all_run_in_order(sockjs_server):
    room = f"sockjs-flood-{uuid.uuid4().hex[:8]}"
    sender, receiver = open_ws(sockjs_server), open_ws(sockjs_server)
    try:
        join(receiver, room)
        got = []
        reading = read_flood(receiver, got)
        for i in range(FLOOD):
            sender.send(frame("to_room", room, i))  # blocks only while the server stops reading
        reading.join()
        assert len(got) == FLOOD, f"{len(got)} of {FLOOD} arrived"
        assert got == list(range(FLOOD))
        assert "overloaded" not in sockjs_server.log()
    finally:
        sender.close()
        receiver.close()


def test_ten_thousand_events_over_xhr_send_all_run_in_order(sockjs_server):
    """Over polling the POST waits while the receivers are behind (it was cut off at 1,000 tasks)."""
    import requests

    room = f"sockjs-xhr-flood-{uuid.uuid4().hex[:8]}"
    receiver = open_ws(sockjs_server)
    base = f"http://127.0.0.1:{sockjs_server.port}/sockjs/000/{uuid.uuid4().hex[:8]}"
    http = requests.Session()
    try:
        join(receiver, room)
        assert http.post(base + "/xhr", timeout=30).text == "o\n"
        done = threading.Event()

        def poll():  # keeps the polling session attached, as a SockJS client does
            with requests.Session() as poller:
                while not done.is_set():
                    try:
                        poller.post(base + "/xhr", timeout=30)
                    except requests.RequestException:
                        return

        polling = threading.Thread(target=poll, daemon=True)
        polling.start()
        got = []
        reading = read_flood(receiver, got)
        batch = 200  # messages per POST (under the 8 KB test limit, framed); the old cut-off was 1,000 waiting
        for start in range(0, FLOOD, batch):
            body = json.dumps([json.loads(frame("to_room", room, i))[0] for i in range(start, start + batch)])
            answer = http.post(base + "/xhr_send", data=body, timeout=60)  # answered once there is room
            assert answer.status_code == 204, (answer.status_code, answer.text[:200])
        reading.join()
        done.set()
        assert len(got) == FLOOD, f"{len(got)} of {FLOOD} arrived"
        assert got == list(range(FLOOD))
        assert "overloaded" not in sockjs_server.log()
    finally:
        receiver.close()
        http.close()
