"""Bad input over Socket.IO: refused or closed as the protocol says, logged once, never fatal.

Raw frames go over a plain websocket (websocket-client), below any Socket.IO
client library, so the server sees exactly what a broken or hostile client
would send. A malformed packet ends that client's session (the protocol's
rule); other clients must still be served, and nothing logs a traceback.
"""

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websocket

from realtime.testing import SocketIOTestClient


def token():
    return uuid.uuid4().hex[:10]


def wait_for_log(server, text, count=1, timeout=5):
    """The server's log once ``text`` appears ``count`` times (it is written asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        log = server.log()
        if log.count(text) >= count or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


class RawSocket:
    """Engine.IO/Socket.IO by hand over one websocket."""

    def __init__(self, server, **options):
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=5, **options)
        opened = self.ws.recv()
        assert opened.startswith("0{"), opened
        self.ws.send("40")
        self.sid = json.loads(self.until(lambda f: f.startswith("40{"))[2:])["sid"]
        self.ack_id = 0

    def until(self, predicate):
        while True:
            frame = self.ws.recv()
            if frame == "2":  # a ping: answer it, as clients must
                self.ws.send("3")
                continue
            if predicate(frame):
                return frame

    def echo(self, value):
        """An acked echo round trip: proves the connection still works."""
        self.ack_id += 1
        self.ws.send(f"42{self.ack_id}" + json.dumps(["echo", value]))
        frame = self.until(lambda f: f.startswith(f"43{self.ack_id}["))
        (value,) = json.loads(frame[len(f"43{self.ack_id}") :])
        return value

    def close(self):
        self.ws.close()


@pytest.fixture
def raw(gevent_server):
    sockets = []

    def make(**options):
        s = RawSocket(gevent_server, **options)
        sockets.append(s)
        return s

    yield make
    for s in sockets:
        s.close()


MALFORMED_FRAMES = {
    "x{t}a": "malformed Engine.IO frame: unknown packet type",  # no packet type
    "9{t}b": "malformed Engine.IO frame: unknown packet type",  # unknown packet type
    "0{t}c": "malformed Engine.IO frame: unknown packet type",  # OPEN is the server's
    "4garbage{t}d": "malformed Socket.IO packet",  # not a Socket.IO packet
    "42not json {t}e": "malformed Socket.IO packet",  # bad JSON
    '42{{"a":"{t}f"}}': "malformed Socket.IO packet: an EVENT must be a list",  # data is not a list
    '42[1,"{t}g"]': "malformed Socket.IO packet: an EVENT must be a list",  # event name is not a string
    '44{{"message":"{t}h"}}': "malformed Socket.IO packet",  # CONNECT_ERROR from a client
    '42{t}i["echo",1]': "malformed Socket.IO packet",  # an ack id that is not a number
}


@pytest.mark.parametrize("template", list(MALFORMED_FRAMES), ids=[f[:6] for f in MALFORMED_FRAMES])
def test_malformed_packet_closes_that_websocket_with_one_log_line(gevent_server, raw, template):
    """The protocol: an invalid packet ends the session. Others keep being served."""
    start = len(gevent_server.log())  # what earlier tests logged on this server is not ours
    s = raw()
    bystander = raw()
    t = token()
    frame = template.format(t=t)
    s.ws.send(frame)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        s.until(lambda f: False)
    log = wait_for_log(gevent_server, t)
    lines = [line for line in log.splitlines() if t in line]
    assert len(lines) == 1, lines
    assert MALFORMED_FRAMES[template] in lines[0] and "closing" in lines[0], lines[0]
    assert "Traceback" not in log[start:]
    assert bystander.echo("still here") == "still here"


def test_empty_frame_closes_the_websocket(gevent_server, raw):
    s = raw()
    before = gevent_server.log().count("malformed Engine.IO frame: empty frame")
    s.ws.send("")
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        s.until(lambda f: False)
    wait_for_log(gevent_server, "malformed Engine.IO frame: empty frame", before + 1)
    assert gevent_server.log().count("malformed Engine.IO frame: empty frame") == before + 1
    assert raw().echo("fine") == "fine"


def test_event_for_a_namespace_not_joined_is_dropped_and_the_socket_stays(gevent_server, raw):
    """Not malformed: the Node server ignores it too (logged here, once)."""
    s = raw()
    t = token()
    s.ws.send(f'42/nowhere-{t},["echo",1]')
    assert s.echo("after") == "after"
    log = wait_for_log(gevent_server, t)
    lines = [line for line in log.splitlines() if t in line]
    assert len(lines) == 1 and "dropped event" in lines[0] and "not connected to namespace" in lines[0], lines


def test_over_size_frame_closes_that_connection_only(gevent_server, raw):
    limit = 64 * 1024
    s = raw()
    bystander = raw()
    frame = "42" + json.dumps(["echo", "x" * (limit + int(token()[:4], 16))])  # a size unique in the log
    size = len(frame)
    s.ws.send(frame)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        s.until(lambda f: False)
    log = wait_for_log(gevent_server, f"frame of {size} bytes")
    assert log.count(f"frame of {size} bytes is over REALTIME_MAX_MESSAGE_BYTES") == 1
    assert bystander.echo("fine") == "fine"


def test_over_size_polling_post_is_refused_and_logged_once(gevent_server):
    with (
        SocketIOTestClient(gevent_server.url, transports=["polling"]) as c,
        SocketIOTestClient(gevent_server.url) as other,
    ):
        c.emit("echo", "y" * (70 * 1024), ack=False)
        assert c.disconnected.wait(5)
        log = wait_for_log(gevent_server, "over REALTIME_MAX_MESSAGE_BYTES")
        assert "closing polling session from 127.0.0.1: POST of " in log
        assert other.emit("echo", "ok") == "ok"


@pytest.mark.parametrize("template", ["x{t}a", "9{t}b", "2{t}c", "4hi\x1e7{t}d", "b!!{t}e", "42{t}["])
def test_malformed_polling_payload_closes_that_session_with_one_log_line(gevent_server, template):
    """Long-polling POST bodies get the websocket's rule: invalid ends the session, answered at once."""
    base = gevent_server.url + "/socket.io/?EIO=4&transport=polling"
    sid = json.loads(requests.get(base, timeout=5).text[1:])["sid"]
    other = json.loads(requests.get(base, timeout=5).text[1:])["sid"]
    t = token()
    body = template.format(t=t)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, f"{base}&sid={sid}", timeout=5)
        time.sleep(0.3)  # the poll is waiting on the server
        response = requests.post(f"{base}&sid={sid}", data=body.encode(), timeout=5)
        if body.startswith("42"):  # Engine.IO takes it; the Socket.IO packet inside is bad
            assert response.status_code == 200
        else:
            assert (response.status_code, response.text) == (400, "malformed payload"), body
        # the session is over: the pending poll ends with CLOSE, then the sid is unknown
        assert (pending.result().status_code, pending.result().text) == (200, "1")
    assert requests.get(f"{base}&sid={sid}", timeout=5).status_code == 400
    log = wait_for_log(gevent_server, t)
    lines = [line for line in log.splitlines() if t in line]
    assert len(lines) == 1 and "closing" in lines[0] and "malformed" in lines[0], lines
    # another session is unaffected: it joins the default namespace
    assert requests.post(f"{base}&sid={other}", data=b"40", timeout=5).text == "OK"
    assert '40{"sid"' in requests.get(f"{base}&sid={other}", timeout=5).text


def test_unknown_events_are_answered_and_logged_once(gevent_server):
    with SocketIOTestClient(gevent_server.url) as c:
        acked, plain = f"nope-{token()}", f"nope-{token()}"
        reply = c.emit(acked)
        assert reply["error"] == "unknown_event" and acked in reply["message"]
        c.emit(plain, ack=False)
        assert c.receive("error")["error"] == "unknown_event"
        log = wait_for_log(gevent_server, plain)
        assert log.count(acked) == 1 and log.count(plain) == 1
        assert c.emit("echo", "after") == "after"


def test_reserved_event_names_are_refused(gevent_server):
    with SocketIOTestClient(gevent_server.url) as c:
        assert c.emit("disconnect")["error"] == "bad_event"
        assert c.connected


def test_disallowed_origin_is_refused_with_a_reason_and_logged_once(gevent_server):
    t = token()
    evil = f"http://evil-{t}.example"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            gevent_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
            origin=evil,
            timeout=5,
        )
    assert refused.value.status_code == 403
    response = requests.get(
        gevent_server.url + "/socket.io/?EIO=4&transport=polling", headers={"Origin": evil + "2"}, timeout=5
    )
    assert response.status_code == 403 and response.text == "origin not allowed"
    c = SocketIOTestClient(gevent_server.url, transports=["polling"], headers={"Origin": evil + "3"})
    assert not c.connected and c.connect_error
    c.close()
    log = wait_for_log(gevent_server, evil + "3")
    assert log.count(f"origin '{evil}'") == 1
    assert log.count(f"origin '{evil}2'") == 1
    # a page of our own site connects (websocket-client sends our origin by itself)
    with SocketIOTestClient(gevent_server.url, transports=["polling"], headers={"Origin": gevent_server.url}) as ours:
        assert ours.connected
    with SocketIOTestClient(gevent_server.url, transports=["websocket"]) as ours:
        assert ours.connected


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]], ids=["websocket", "polling"])
def test_raising_receiver_is_logged_once_and_harms_nobody(gevent_server, transports):
    with (
        SocketIOTestClient(gevent_server.url, transports=transports) as c,
        SocketIOTestClient(gevent_server.url) as other,
    ):
        before = gevent_server.log().count("RuntimeError: receiver exploded on purpose")
        reply = c.emit("boom")
        assert reply["error"] == "server_error"
        log = wait_for_log(gevent_server, "RuntimeError: receiver exploded on purpose", before + 1)
        assert log.count("RuntimeError: receiver exploded on purpose") == before + 1
        assert log.count(f"raised for {c.sid}") == 1
        # wrong argument type: join() wants a room name
        assert c.emit("join", {"not": "a room"})["error"] == "server_error"
        assert c.emit("echo", "alive") == "alive"
        assert other.emit("echo", "alive too") == "alive too"


def test_crashing_connect_receiver_refuses_that_client_only(gevent_server):
    c = SocketIOTestClient(gevent_server.url + "/?crash_connect=1")
    assert not c.connected and c.connect_error == "server error"
    c.close()
    log = wait_for_log(gevent_server, "RuntimeError: connect receiver crashed")
    assert "RuntimeError: connect receiver crashed" in log
    with SocketIOTestClient(gevent_server.url) as ok:
        assert ok.emit("echo", 1) == 1
