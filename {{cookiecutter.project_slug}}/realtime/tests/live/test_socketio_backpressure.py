"""Backpressure, not loss: a client that sends faster than its receivers run is slowed down.

The server stops reading a flooding client's websocket (or answering its
long-polling POST) while its events wait for receivers; every event is still
run, in order, and other clients are served meanwhile. Raw websockets
(websocket-client) keep the test's own side fast.
"""

import json
import socket
import threading
import time
import uuid

import websocket

import pytest

from realtime.testing import LiveServer, SocketIOTestClient

from realtime.tests.conftest import TEST_APPS

FLOOD = 10_000
#: These floods measure backpressure, not the per-connection event limit (REALTIME_EVENT_RATE): off.
# No event-rate limit (these tests flood on purpose), and room for the 8 MB burst below in a
# reading client's queue: REALTIME_MAX_QUEUED_BYTES (1 MiB) would cut off a client that reads
# more slowly than the server writes, which is test_slow_readers.py's subject, not this file's.
NO_EVENT_LIMIT = {
    "REALTIME_TEST_SETTINGS": json.dumps({"REALTIME_EVENT_RATE": 0, "REALTIME_MAX_QUEUED_BYTES": 64 * 1024 * 1024})
}


@pytest.fixture(scope="module")
def gevent_server():
    with LiveServer("rungevent", extra_apps=TEST_APPS, env=NO_EVENT_LIMIT) as server:
        yield server


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Raw:
    """Engine.IO/Socket.IO by hand over one websocket; answers pings while reading."""

    def __init__(self, server):
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=30)
        assert self.ws.recv().startswith("0{")
        self.ws.send("40")
        while not self.ws.recv().startswith("40{"):
            pass
        self.lock = threading.Lock()

    def send(self, text):
        with self.lock:
            self.ws.send(text)

    def join(self, room):
        self.send("4299" + json.dumps(["join", room]))
        while not self.recv().startswith("4399"):
            pass

    def recv(self):
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.send("3")
                continue
            return frame

    def collect(self, event, count, arrivals, deadline, stop=None):
        """Append (time, value) of each ``event`` until ``count`` arrived, the deadline passed or ``stop`` is set."""
        prefix = "42" + json.dumps([event])[:-1] + ","
        self.ws.settimeout(0.2)
        while len(arrivals) < count and time.monotonic() < deadline and not (stop and stop.is_set()):
            try:
                frame = self.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if frame.startswith(prefix):
                arrivals.append((time.monotonic(), json.loads(frame[2:])[1]))

    def close(self):
        self.ws.close()


def test_ten_thousand_events_back_to_back_all_run_in_order_while_others_are_served(gevent_server):
    flood_room, tick_room = unique("flood"), unique("tick")
    sender, receiver, bystander, ticker = (Raw(gevent_server) for _ in range(4))
    try:
        receiver.join(flood_room)
        bystander.join(tick_room)
        deadline = time.monotonic() + 120
        got, ticks = [], []
        stop = threading.Event()
        readers = [
            threading.Thread(target=receiver.collect, args=("room_message", FLOOD, got, deadline)),
            threading.Thread(target=bystander.collect, args=("room_message", 10**9, ticks, deadline, stop)),
        ]
        for t in readers:
            t.start()

        def tick():
            i = 0
            while not stop.is_set():
                ticker.send("42" + json.dumps(["to_room", tick_room, i]))
                i += 1
                stop.wait(0.02)

        ticking = threading.Thread(target=tick)
        ticking.start()
        started = time.monotonic()
        frames = ["42" + json.dumps(["to_room", flood_room, i]) for i in range(FLOOD)]
        for frame in frames:  # back to back: blocks only when the server stops reading
            sender.ws.send(frame)
        sent = time.monotonic()
        readers[0].join()
        stop.set()
        ticking.join()
        readers[1].join()

        values = [v for _, v in got]
        assert len(values) == FLOOD, f"{len(values)} of {FLOOD} events arrived"
        assert values == list(range(FLOOD)), "events arrived out of order"
        finished = got[-1][0]
        during = [t for t, _ in ticks if started <= t <= finished]
        print(
            f"\n{FLOOD} events sent in {sent - started:.2f}s, all run by {finished - started:.2f}s; "
            f"{len(during)} ticks reached another client meanwhile"
        )
        # the bystander kept getting its room's messages while the flood was being worked off
        assert len(during) >= max(3, int((finished - started) / 0.02) // 4), (len(during), finished - started)
        log = gevent_server.log()
        assert "dropping events" not in log
        assert "overloaded" not in log
    finally:
        for raw in (sender, receiver, bystander, ticker):
            raw.close()


def test_a_slow_receiver_holds_back_its_sender_without_refusing_events(gevent_server):
    """Acked events behind a receiver that naps: every one is answered in order, none refused."""
    s, bystander = Raw(gevent_server), Raw(gevent_server)
    try:
        s.send('42["nap",1]')  # this socket's receivers are busy for a second
        for i in range(600):  # more than the reader lets wait (inbox.HIGH_WATER)
            s.ws.send(f"42{1000 + i}" + json.dumps(["echo", i]))
        bystander.send('427["echo","unaffected"]')
        t0 = time.monotonic()
        while not bystander.recv().startswith('437["unaffected"]'):
            pass
        assert time.monotonic() - t0 < 0.9  # answered while the other socket's receiver naps
        replies = []
        while len(replies) < 600:
            frame = s.recv()
            if frame.startswith("43"):
                replies.append((int(frame[2 : frame.index("[")]), json.loads(frame[frame.index("[") :])))
        assert replies == [(1000 + i, [i]) for i in range(600)]
    finally:
        s.close()
        bystander.close()


def test_flood_over_long_polling_is_held_back_not_dropped(gevent_server):
    """Over long-polling the POST carrying the events waits; none is lost.

    1,000 events: more than a socket lets wait (inbox.HIGH_WATER) and more than
    Engine.IO's 16 packets per POST, yet under REALTIME_MAX_MESSAGE_BYTES even if
    the client batches them all into one POST (python-socketio's client does not
    split a POST at the server's maxPayload).
    """
    room = unique("poll-flood")
    count = 1_000
    with SocketIOTestClient(gevent_server.url, transports=["polling"]) as sender, SocketIOTestClient(
        gevent_server.url, transports=["websocket"]
    ) as receiver:
        receiver.emit("join", room)
        for i in range(count):
            sender.emit("to_room", room, i, ack=False)
        got = [receiver.receive("room_message", timeout=60) for _ in range(count)]
        assert got == list(range(count))


def test_a_client_that_never_reads_does_not_hold_up_the_others(gevent_server):
    """Its frames wait in its own queue (its writer blocked on its full socket); others get theirs."""
    room = unique("stalled")
    url = gevent_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    stalled = websocket.create_connection(url, timeout=30, sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    assert stalled.recv().startswith("0{")
    stalled.send("40")
    while not stalled.recv().startswith("40{"):
        pass
    stalled.send("4299" + json.dumps(["join", room]))
    while not stalled.recv().startswith("4399"):
        pass
    fast, sender = Raw(gevent_server), Raw(gevent_server)
    try:
        fast.join(room)
        count, payload = 2_000, "x" * 4096  # 8 MB: far more than the stalled client's socket buffers hold
        got = []
        deadline = time.monotonic() + 120
        reading = threading.Thread(target=fast.collect, args=("room_message", count, got, deadline))
        reading.start()
        started = time.monotonic()
        for i in range(count):
            sender.ws.send("42" + json.dumps(["to_room", room, [i, payload]]))
        reading.join()
        took = time.monotonic() - started
        assert [v[0] for _, v in got] == list(range(count)), f"{len(got)} of {count} reached the reading client"
        print(f"\n{count} messages of 4 KB reached the reading client in {took:.2f}s; the other never read")
        assert "Traceback" not in gevent_server.log()
    finally:
        for raw in (fast, sender):
            raw.close()
        stalled.close()
