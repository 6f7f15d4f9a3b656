"""Bad input the fuzzer found against ``rungevent``, replayed by hand (each once, with its fix's check).

Each case names what it broke before (a traceback, an ERROR line, a hang);
the server is ``socketio_watch``'s, checked after each case like a fuzz batch.
"""

import json

import pytest

from realtime.tests.live.fuzzing import (
    send_http,
)

from realtime.tests.live import socketio_watch
from realtime.tests.live.socketio_watch import EioWebSocket

#: The fuzz server and its bystanders (a module-scoped fixture of ``socketio_watch``).
watch = socketio_watch.watch


def test_attachments_past_the_message_limit_close_the_session(watch):
    """A binary packet may not collect attachments without end: past REALTIME_MAX_MESSAGE_BYTES
    in total (or past 10 announced, socket.io-parser's limit) the session is closed."""
    with EioWebSocket(watch.server, "/") as s:
        s.send(["451000000-" + json.dumps(["echo", {"_placeholder": True, "num": 0}])])
        s.send([b"\x00" * 4000] * 3)  # 12 KB pending for one packet, over the 8 KB limit
        assert s.outcome() == "closed"
    with EioWebSocket(watch.server, "/") as s:
        s.send(["4511-" + json.dumps(["echo", {"_placeholder": True, "num": 0}])])
        assert s.outcome() == "closed"
    with EioWebSocket(watch.server, "/") as s:  # within both limits: delivered
        s.send(["452-1" + json.dumps(["echo", {"_placeholder": True, "num": 0}, {"_placeholder": True, "num": 1}])])
        s.send([b"\x01" * 3000, b"\x02" * 3000])
        frame = s.until(lambda f: isinstance(f, str) and f.startswith("46"))
        assert frame.startswith("462-1["), frame  # the echo's ack, with both attachments back
    watch.check(budget=10)


def test_deep_event_data_closes_the_session_with_one_line(watch):
    """Found by the fuzzer: 500 levels echoed back raised RecursionError in python-socketio's encoder."""
    with EioWebSocket(watch.server, "/") as s:
        s.send(["42" + json.dumps(["echo", 1])[:-1] + "," + "[" * 101 + "]" * 101 + "]"])
        assert s.outcome() == "closed"
    with EioWebSocket(watch.server, "/") as s:  # 100 levels (the event's list counts) are served
        s.send(['421["echo",' + "[" * 99 + "]" * 99 + "]"])
        assert s.until(lambda f: f.startswith("431[")) == "431[" + "[" * 99 + "]" * 99 + "]"
    log = watch.server.log()
    assert log.count("data nested deeper than 100 levels") >= 1
    watch.check(budget=6)


@pytest.mark.parametrize(
    "raw",
    [
        (b"GET / HTTP/9\r\n\r\n", "realtime"),  # IndexError in gevent's version check
        (b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "realtime"),
        (b"\x01\r\n\r\n", "realtime"),  # an ERROR line
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "django.security.DisallowedHost"),  # Django: ERROR, traceback
        (b"POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: 0\r\n\r\n", None),  # engineio
    ],
    ids=["version", "chunk-size", "method", "host", "no-sid"],
)
def test_bad_http_is_one_warning_line(watch, raw):
    """Found by the fuzzer: these printed tracebacks or ERROR lines (gevent.pywsgi, Django)."""
    raw, logger = raw
    before = len(watch.server.log().splitlines())
    send_http(watch.server.port, raw)  # 400, or 403 when Django answered before the body was found bad
    watch.check(budget=3)
    new = watch.server.log().splitlines()[before:]
    assert logger is None or [line for line in new if f"WARNING {logger} " in line], new


def test_pywsgi_compat_finds_what_it_reaches_into():
    from realtime.transports.socketio import pywsgi_compat

    pywsgi_compat.check_library()


def test_signal_data_with_a_self_key_is_refused_with_one_line(watch):
    """Found by the fuzzer: {"self": ...} reached Signal.send_robust(self, ...): a TypeError, a traceback."""
    with EioWebSocket(watch.server, "/simple") as s:
        s.send(['42/simple,["ping",{"self":1}]'])
        error = s.until(lambda f: f.startswith('42/simple,["error"'))
        assert "reserved keys" in error and "self" in error, error
    watch.check(budget=3)
