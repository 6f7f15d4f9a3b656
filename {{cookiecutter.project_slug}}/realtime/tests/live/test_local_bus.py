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


# -- presence: shared by the local bus's processes (rundev's Socket.IO and SockJS) --
def test_presence_is_shared_between_local_bus_processes(tmp_path):
    here, there = LocalBus(tmp_path), LocalBus(tmp_path)
    try:
        ann = MemorySocket(sid="p-ann")
        ann.nickname = "ann"
        there.joined(ann, "lobby")
        seen = here.presence("lobby")
        assert [(m["sid"], m["nickname"], m["process"]) for m in seen] == [("p-ann", "ann", there.process_id)]
        assert here.presence("elsewhere") == []
        there.left(ann, "lobby")
        assert here.presence("lobby") == []
        there.joined(ann, "lobby")
        there.close()  # a process that stops takes its members with it
        assert here.presence("lobby") == []
    finally:
        here.close()
        there.close()  # twice: harmless


def test_members_of_a_killed_process_drop_out_at_once(tmp_path):
    """SIGKILL cleans nothing up: its pid is gone, so its rows are ignored and deleted."""
    import os
    import signal

    code = (
        "import django, os, sys, time; os.environ.setdefault('DJANGO_SETTINGS_MODULE', %r); django.setup()\n"
        "from realtime.bus.local import LocalBus\n"
        "from realtime.testing.memory import MemorySocket\n"
        "bus = LocalBus(%r)\n"
        "bob = MemorySocket(sid='p-bob')\n"
        "bob.nickname = 'bob'\n"
        "bus.joined(bob, 'lobby')\n"
        "print('joined', flush=True)\n"
        "time.sleep(60)\n"
    ) % (os.environ["DJANGO_SETTINGS_MODULE"], str(tmp_path))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    here = LocalBus(tmp_path)
    try:
        assert child.stdout.readline().strip() == "joined"
        assert [m["nickname"] for m in here.presence("lobby")] == ["bob"]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        assert here.presence("lobby") == []
        assert here.shared._run("count", "SELECT COUNT(*) FROM member") == [(0,)]  # deleted, not just hidden
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        here.close()


def test_a_second_bus_in_one_process_keeps_the_first_ones_members(tmp_path):
    """A settings check builds a bus too: it must not take the serving bus's members for a dead process's."""
    serving = LocalBus(tmp_path)
    ann = MemorySocket(sid="p-ann2")
    ann.nickname = "ann"
    serving.joined(ann, "lobby")
    LocalBus(tmp_path).close()  # built and closed, as check_settings does
    other = LocalBus(tmp_path)
    try:
        assert [m["sid"] for m in other.presence("lobby")] == ["p-ann2"]
    finally:
        other.close()
        serving.close()
