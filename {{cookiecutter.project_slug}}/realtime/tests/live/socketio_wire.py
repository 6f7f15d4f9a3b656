"""Raw Engine.IO / Socket.IO wire helpers and the protocol servers, for ``test_socketio_protocol_*``.

Everything is raw: HTTP requests (``requests``) and websocket frames
(websocket-client), no Socket.IO library, so what a test asserts is what goes
over the wire. The receivers are ``protocolapp``'s: the server the
socket.io-protocol test suite expects, on the default namespace, ``/custom``
(served by the same signals) and ``/greet`` (a client-signal connection that
sends a signal from ``on_open``).
"""

import json
import time
import uuid

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
