"""The Socket.IO transport's parts, in-process (no server, no network).

The live behaviour is in ``test_socketio*.py``; here each rule is pinned
where it is made, so a failure names the part: address parsing, frame
checks, one encode per envelope, the template tags.
"""

import json
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import CommandError
from django.template import engines
from django.test import RequestFactory, override_settings

from realtime import conf
from realtime.transports import catalog
from realtime.envelope import Envelope
from realtime.management.commands.rungevent import parse_addrport
from realtime.transports.socketio.adapter import SocketIOAdapter
from realtime.transports.socketio.guard import packet_problem, payload_problem
from realtime.transports.socketio.server import RealtimeSocketIOServer
from realtime.transports.socketio.socket import SocketIOSocket


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ("127.0.0.1", 8000)),
        ("8001", ("127.0.0.1", 8001)),
        ("0:9000", ("0.0.0.0", 9000)),
        ("0.0.0.0:9000", ("0.0.0.0", 9000)),
        ("localhost:7000", ("localhost", 7000)),
        ("[::1]:8000", ("::1", 8000)),
    ],
)
def test_parse_addrport(value, expected):
    assert parse_addrport(value) == expected


@pytest.mark.parametrize("value", ["abc", "1.2.3.4:", ":80", "70000", "0", "host:port"])
def test_parse_addrport_rejects_nonsense(value):
    with pytest.raises(CommandError):
        parse_addrport(value)


@pytest.mark.parametrize(
    "frame, problem",
    [
        ('42["chat","hi"]', None),
        ("3", None),
        ("2probe", None),
        (b"\x00\x01binary", None),
        ("bAAEC", None),
        ("", "empty frame"),
        ("x", "unknown packet type 'x'"),
        ("9", "unknown packet type '9'"),
        ("0{}", "unknown packet type '0'"),
        ("b!!", "bad base64"),
    ],
)
def test_websocket_frame_checks(frame, problem):
    assert packet_problem(frame) == problem


@pytest.mark.parametrize(
    "body, problem",
    [
        (b'42["a"]\x1e42["b"]', None),
        (b"40", None),
        (b"2", "unknown packet type '2'"),  # Engine.IO answers PING over polling by closing the session
        (b'42["a"]\x1e6', "unknown packet type '6'"),
        (b"\xff\xfe", "not UTF-8"),
        (b"", "empty frame"),
    ],
)
def test_polling_payload_checks(body, problem):
    assert payload_problem(body) == problem


class RecordingServer(RealtimeSocketIOServer):
    """The real server class, with Engine.IO's send replaced by a recorder."""

    def __init__(self):
        super().__init__()
        self.sent = []
        self.encodes = 0
        self.eio.send_packet = lambda eio_sid, pkt: self.sent.append((eio_sid, pkt))

    def encode_event(self, namespace, data):
        self.encodes += 1
        return super().encode_event(namespace, data)


def make_socket(server, n, endpoint="/"):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return SocketIOSocket(server, f"sid{n}", f"eio{n}", request, endpoint)


def test_one_encode_per_envelope_whatever_the_number_of_sockets():
    server = RecordingServer()
    sockets = [make_socket(server, n) for n in range(50)]
    SocketIOAdapter(server).write(Envelope.for_event("chat", ["hi", {"n": 1}], room="lobby"), sockets)
    assert server.encodes == 1
    assert [eio_sid for eio_sid, _ in server.sent] == [f"eio{n}" for n in range(50)]
    frames = {id(pkt) for _, pkt in server.sent}
    assert len(frames) == 1  # the same frame object for everyone
    (frame,) = {pkt for _, pkt in server.sent}
    assert frame.encode() == '42["chat","hi",{"n":1}]'


def test_binary_frames_are_not_shared():
    """Engine.IO caches a frame's first encoding (raw or base64): a binary one is made per client."""
    server = RecordingServer()
    sockets = [make_socket(server, n) for n in range(3)]
    SocketIOAdapter(server).write(Envelope.for_event("blob", [b"\x00"]), sockets)
    assert server.encodes == 1
    assert len(server.sent) == 6  # a text header and one attachment per client
    assert len({id(pkt) for _, pkt in server.sent}) == 6


def test_messages_and_namespaces_are_encoded_for_socketio_clients():
    server = RecordingServer()
    adapter = SocketIOAdapter(server)
    adapter.write(Envelope.for_message({"a": 1}, endpoint="/simple"), [make_socket(server, 1, "/simple")])
    assert server.sent[0][1].encode() == '42/simple,["message",{"a":1}]'


def test_emit_with_callback_registers_an_ack_id():
    server = RecordingServer()
    sent = []
    server._send_packet = lambda eio_sid, pkt: sent.append((eio_sid, pkt.encode()))
    socket = make_socket(server, 1)
    got = []
    socket.emit("please_ack", 1, callback=lambda *args: got.append(args))
    socket.emit("please_ack", 2, callback=lambda *args: got.append(args))
    assert sent == [("eio1", '21["please_ack",1]'), ("eio1", '22["please_ack",2]')]  # Socket.IO EVENT with ack ids 1, 2
    server.manager.trigger_callback("sid1", 2, ["ok"])
    assert got == [("ok",)]


def render(text):
    return engines["django"].from_string(text).render({})


def config_of(html):
    match = re.search(r'<script id="realtime-config" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1))


INSTALLED = conf.installed_transports()
FILES = {name: [path.rsplit("/", 1)[-1] for path in entry["scripts"]] for name, entry in catalog.TRANSPORTS.items()}


@override_settings(REALTIME_TRANSPORTS=INSTALLED)
def test_realtime_client_script_loads_each_transport_then_realtime_js():
    html = render("{% load realtime %}{% realtime_client_script %}")
    scripts = re.findall(r'<script src="([^"]+)"></script>', html)
    names = [s.rsplit("/", 1)[-1] for s in scripts]
    expected = [name for transport in INSTALLED for name in FILES[transport]]
    assert names == ["realtime-core.js", *expected, "realtime.js"]
    assert config_of(html) == {
        "transports": INSTALLED,
        "socketioPath": "/socket.io",
        "socketioUrl": "",
        "sockjsUrl": "/sockjs",
    }
    assert "<script>" not in html  # no inline JavaScript (CSP)


@override_settings(
    REALTIME_TRANSPORTS=INSTALLED[::-1],
    REALTIME_SOCKETIO_URL="http://localhost:9100/",
    REALTIME_SOCKJS_URL="http://localhost:9200/sockjs",
    REALTIME_SOCKETIO_PATH="rt/sio",
)
def test_client_config_follows_settings():
    config = config_of(render("{% load realtime %}{% realtime_client_script %}"))
    assert config == {
        "transports": INSTALLED[::-1],
        "socketioPath": "/rt/sio",
        "socketioUrl": "http://localhost:9100",
        "sockjsUrl": "http://localhost:9200/sockjs",
    }


@override_settings(REALTIME_SOCKETIO_URL="http://x/</script><script>alert(1)</script>")
def test_client_config_cannot_break_out_of_its_element():
    html = render("{% load realtime %}{% realtime_client_script %}")
    assert "<script>alert(1)" not in html
    assert config_of(html)["socketioUrl"] == "http://x/</script><script>alert(1)</script>"


@override_settings(REALTIME_TRANSPORTS=["sockjs", "socketio"])
def test_socketio_client_script_is_django_realtimes_tag():
    html = render("{% load socketio %}{% socketio_client_script %}")
    names = [s.rsplit("/", 1)[-1] for s in re.findall(r'<script src="([^"]+)"></script>', html)]
    assert names == ["realtime-core.js", "socket.io.min.js", "realtime-socketio.js", "realtime.js"]
    assert config_of(html)["transports"] == ["socketio"]
