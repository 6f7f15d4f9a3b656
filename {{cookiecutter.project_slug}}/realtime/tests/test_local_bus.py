"""The local bus joins processes of one machine without a server."""

import subprocess
import sys
import time

import pytest

from realtime.bus.local import LocalBus
from realtime.envelope import Envelope
from realtime.testing.memory import MemorySocket, memory_transport

pytestmark = pytest.mark.django_db  # installed apps' connect receivers may use the ORM


@pytest.fixture
def adapter():
    with memory_transport() as a:
        yield a


def wait_for(predicate, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_an_envelope_published_by_another_process_is_delivered_once(tmp_path, adapter):
    listener = LocalBus(tmp_path)
    listener.start(runtime="thread")
    sock = MemorySocket(sid="l1").connect()
    sock.join("lobby")
    try:
        code = (
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', %r); django.setup()\n"
            "from realtime.bus.local import LocalBus\n"
            "from realtime.envelope import Envelope\n"
            "bus = LocalBus(%r)\n"
            "bus.publish(Envelope.for_event('hello', ['from afar'], room='lobby'))\n"
        ) % (__import__("os").environ["DJANGO_SETTINGS_MODULE"], str(tmp_path))
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        assert wait_for(lambda: ("hello", ["from afar"]) in sock.events)
        time.sleep(0.2)
        assert sock.events.count(("hello", ["from afar"])) == 1
    finally:
        listener.close()


def test_a_dead_peer_is_forgotten_and_bad_datagrams_are_dropped(tmp_path, adapter, caplog):
    listener = LocalBus(tmp_path)
    listener.start(runtime="thread")
    (tmp_path / "999999-dead.sock").touch()  # a process that died without cleaning up
    sock = MemorySocket(sid="l2").connect()
    try:
        publisher = LocalBus(tmp_path)
        publisher._sender.sendto(b"not json", listener.path)
        publisher.publish(Envelope.for_event("still", [1]))
        assert wait_for(lambda: sock.events.count(("still", [1])) == 2)  # local + via the listener
        assert not (tmp_path / "999999-dead.sock").exists()
        assert wait_for(lambda: any("bad envelope" in r.message for r in caplog.records))
        publisher.close()
    finally:
        listener.close()
