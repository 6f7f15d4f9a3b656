"""``runsocket`` closing sessions (SockJS 0.3.3): ``close()`` in ``on_open`` on every transport, broken JSON.

Raw requests and websockets (see ``sockjs_wire``) on ``/sockjs``, ``/simple``,
``/plain`` and the endpoints that close while they open (``CLOSING``).
"""

import json
import uuid

import pytest
import websocket


from realtime.tests.live import sockjs_wire
from realtime.tests.live.sockjs_wire import (
    CLOSING,
    ENDPOINTS,
    Raw,
    first_message,
    poll_until,
    request,
    session_path,
    ws_url,
)

#: Fixtures of ``sockjs_wire``: the server's log from now on, and a server that allows any origin.
new_log = sockjs_wire.new_log
open_server = sockjs_wire.open_server


# -- 3. close() anywhere, on every transport ---------------------------------------------------
def close_frame_of(code_reason):
    return "c" + json.dumps(code_reason, separators=(",", ":"))


@pytest.mark.parametrize("endpoint", list(CLOSING))
def test_close_in_on_open_on_polling_transports(sockjs_server, endpoint, new_log):
    expected = close_frame_of(CLOSING[endpoint])
    path, query = session_path(endpoint)
    polls = [request(sockjs_server, "POST", path + "/xhr" + query) for _ in range(1)]
    assert polls[0][::2] == (200, "o\n")
    frames = poll_until(lambda: request(sockjs_server, "POST", path + "/xhr" + query)[2], expected)
    assert frames[-1] == expected + "\n"
    assert request(sockjs_server, "POST", path + "/xhr" + query)[2] == expected + "\n"  # and again, at once
    path, query = session_path(endpoint)
    sep = "&" if query else "?"
    assert request(sockjs_server, "GET", path + "/jsonp" + query + sep + "c=x")[2] == '/**/x("o");\r\n'
    frames = poll_until(lambda: request(sockjs_server, "GET", path + "/jsonp" + query + sep + "c=x")[2], "c[")
    assert frames[-1] == "/**/x(%s);\r\n" % json.dumps(expected)
    assert "HTTPOutputError" not in new_log() and "Traceback" not in new_log()


@pytest.mark.parametrize("endpoint", list(CLOSING))
@pytest.mark.parametrize("transport", ["xhr_streaming", "eventsource", "htmlfile"])
def test_close_in_on_open_on_streaming_transports(sockjs_server, endpoint, transport, new_log):
    expected = close_frame_of(CLOSING[endpoint])
    path, query = session_path(endpoint)
    method = "POST" if transport == "xhr_streaming" else "GET"
    suffix = {"htmlfile": ("&" if query else "?") + "c=cb"}.get(transport, "")
    stream = Raw(sockjs_server, method, f"{path}/{transport}{query}{suffix}")
    stream.read()  # prelude
    received = "".join(poll_until(stream.read, "c["))
    assert json.dumps(expected)[1:-1] in received or expected in received
    assert stream.read() == ""  # the response ends after the close frame
    again = Raw(sockjs_server, method, f"{path}/{transport}{query}{suffix}")
    again.read()
    assert "c[" in "".join(poll_until(again.read, "c["))
    assert "Traceback" not in new_log()


@pytest.mark.parametrize("endpoint", list(CLOSING))
def test_close_in_on_open_on_websockets(sockjs_server, endpoint):
    path, query = session_path(endpoint)
    ws = websocket.create_connection(ws_url(sockjs_server, f"{path}/websocket{query}"), timeout=10)
    assert ws.recv() == "o"
    frames = poll_until(ws.recv, "c[")
    assert frames[-1] == close_frame_of(CLOSING[endpoint])
    ws.close()
    # the raw websocket: the websocket close itself carries the code and the reason
    prefix, _, query = endpoint.partition("?")
    raw = websocket.create_connection(ws_url(sockjs_server, f"{prefix}/websocket?{query}"), timeout=10)
    while True:
        opcode, data = raw.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
    assert [int.from_bytes(data[:2], "big"), data[2:].decode()] == CLOSING[endpoint]
    raw.close()


# -- 4. broken JSON on a websocket ------------------------------------------------------------
def assert_dropped_without_close_frame(ws):
    with pytest.raises(websocket.WebSocketConnectionClosedException):
        for _ in range(5):
            opcode, _data = ws.recv_data(control_frame=True)
            assert opcode != websocket.ABNF.OPCODE_CLOSE, "a close frame: the protocol wants an abrupt close"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_broken_json_closes_the_websocket_abruptly(sockjs_server, endpoint, new_log):
    ws = websocket.create_connection(ws_url(sockjs_server, session_path(endpoint)[0] + "/websocket"), timeout=10)
    assert ws.recv() == "o"
    ws.send('["a')
    assert_dropped_without_close_frame(ws)
    if endpoint != "/plain":  # a plain connection's raw websocket carries any text
        raw = websocket.create_connection(ws_url(sockjs_server, endpoint + "/websocket"), timeout=10)
        raw.send("{{{ not json")
        assert_dropped_without_close_frame(raw)
    message, answer = first_message(endpoint)
    raw = websocket.create_connection(ws_url(sockjs_server, endpoint + "/websocket"), timeout=10)
    raw.send(message)
    poll_until(raw.recv, answer)  # the server still serves
    raw.close()
    log = new_log()
    assert "broken JSON" in log and "Traceback" not in log


def test_raw_websocket_carries_our_frames_and_broadcasts(sockjs_server):
    """``/sockjs/websocket``: no SockJS framing, each websocket message is one of our frames."""
    raw = websocket.create_connection(ws_url(sockjs_server, "/sockjs/websocket"), timeout=10)
    assert json.loads(poll_until(raw.recv, '"connect"')[-1])["type"] == "connect"
    raw.send(json.dumps({"type": "event", "event": "join", "args": ["raw-room"], "id": 1}))
    poll_until(raw.recv, "raw-room")
    other = websocket.create_connection(ws_url(sockjs_server, "/sockjs/000/%s/websocket" % uuid.uuid4().hex))
    other.send(json.dumps([json.dumps({"type": "event", "event": "to_room", "args": ["raw-room", "hi raw"]})]))
    frame = json.loads(poll_until(raw.recv, "room_message")[-1])
    assert frame == {"type": "event", "event": "room_message", "args": ["hi raw"]}
    raw.close()
    other.close()
