"""A connection's client events are limited (issue 16, point 7), in-process and live.

The attack: one client sent events as fast as its link allowed. Past
``REALTIME_EVENT_BURST`` back to back (refilled at ``REALTIME_EVENT_RATE`` a
second) an event is not handled; the client gets ``rate_limited`` (in the
ack) and the server logs one line per streak.
"""

import json
import time

import pytest
from realtime import conf
from django.dispatch import receiver
from django.test import override_settings

from realtime.signals import socket_client_event_by_type
from realtime.testing import LiveServer
from realtime.testing.memory import MemorySocket, memory_transport

from realtime.tests.conftest import TEST_APPS

TRANSPORTS = conf.transports()


@receiver(socket_client_event_by_type["rl_echo"])
def rl_echo(sender, event, **kwargs):
    return event.args[0]


@pytest.mark.django_db  # dispatch closes stale database connections around receivers
@override_settings(REALTIME_EVENT_RATE=2, REALTIME_EVENT_BURST=5)
def test_a_burst_past_the_bucket_is_refused_with_a_code_and_one_log_line(caplog):
    with memory_transport():
        flooder, other = MemorySocket().connect(), MemorySocket().connect()
        answers = [flooder.event("rl_echo", i) for i in range(30)]
        assert answers[:5] == [0, 1, 2, 3, 4]
        refused = [a for a in answers[5:] if isinstance(a, dict)]
        assert len(refused) >= 24 and all(a["error"] == "rate_limited" and a["retry_after"] > 0 for a in refused)
        assert other.event("rl_echo", "not me") == "not me"  # per connection
        assert caplog.text.count(f"refusing events from {flooder.sid}") == 1
        time.sleep(0.6)  # one token back at 2/s
        assert flooder.event("rl_echo", "later") == "later"
        assert flooder.event("rl_echo", "too soon")["error"] == "rate_limited"
        assert caplog.text.count(f"refusing events from {flooder.sid}") == 2  # a new streak, a new line


@pytest.mark.django_db
@override_settings(REALTIME_EVENT_RATE=0)
def test_a_rate_of_zero_turns_the_limit_off():
    with memory_transport():
        s = MemorySocket().connect()
        assert [s.event("rl_echo", i) for i in range(400)] == list(range(400))


@pytest.fixture(scope="module", params=TRANSPORTS)
def limited_server(request):
    command, args = ("rungevent", []) if request.param == "socketio" else ("runsocket", ["--django"])
    env = {"REALTIME_TEST_SETTINGS": json.dumps({"REALTIME_EVENT_RATE": 1, "REALTIME_EVENT_BURST": 10})}
    with LiveServer(command, args=args, extra_apps=TEST_APPS, env=env) as server:
        server.transport = request.param
        yield server


def client(server):
    if server.transport == "socketio":
        from realtime.testing import SocketIOTestClient

        return SocketIOTestClient(server.url)
    from realtime.testing import SockJSTestClient

    return SockJSTestClient(server.url + "/sockjs")


def test_a_flood_over_the_wire_is_refused_with_rate_limited(limited_server):
    with client(limited_server) as flooder, client(limited_server) as bystander:
        started = time.monotonic()
        answers = [flooder.emit("echo", i) for i in range(40)]
        elapsed = time.monotonic() - started
        passed = [a for a in answers if not isinstance(a, dict)]
        refused = [a for a in answers if isinstance(a, dict)]
        assert answers[:10] == list(range(10))
        assert len(passed) <= 10 + int(elapsed) + 1, (len(passed), elapsed)  # burst plus 1/s refill
        assert refused and all(a["error"] == "rate_limited" for a in refused)
        assert bystander.emit("echo", "unaffected") == "unaffected"
        sid = flooder.sid
    log = limited_server.log()
    assert log.count(f"refusing events from {sid}") == 1
    assert "Traceback" not in log
