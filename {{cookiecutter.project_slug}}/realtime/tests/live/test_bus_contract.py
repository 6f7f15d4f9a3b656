"""The bus contract: what every backend does, run against each (``realtime.tests.live.bus_backends``).

Memory (one process), the local bus (``make run``'s setup), the README's
example backend, and the project's networked bus (when chosen). This
process runs the bus under test with a fake transport; other processes are
children (``realtime.tests.live.bus_harness.Child``) on the same backend. What a
backend does not promise (a memory bus reaching another process, presence
shared by the example backend) is asserted NOT to happen.
"""

import signal
import time
import uuid

import pytest
from django.test import override_settings

import realtime
from realtime import conf
from realtime.bus.memory import MemoryBus
from realtime.tests.live import bus_harness as harness
from realtime.tests.live.bus_backends import backends
from realtime.tests.live.bus_harness import Child, connect, frames_for, running, wait_for

pytestmark = pytest.mark.django_db
BACKENDS = backends()
NETWORKED = [name for name, backend in BACKENDS.items() if backend.networked]
fake = harness.fake


@pytest.fixture(scope="module", params=list(BACKENDS))
def backend(request, tmp_path_factory):
    chosen = BACKENDS[request.param]
    with chosen.running(tmp_path_factory.mktemp(f"bus-{chosen.name}")):
        yield chosen


@pytest.fixture
def bus(backend, fake):
    """This process's bus: the backend's, started as a socket process starts it."""
    with override_settings(**backend.settings(0)):
        with running((conf.bus_backend() or MemoryBus)()) as b:
            yield b


@pytest.fixture
def peers(backend, bus):
    """``peers(sockets, slot=None)``: another process on the same backend, its sockets in rooms."""
    made = []

    def make(sockets, slot=None):
        child = Child(backend.settings(slot or len(made) + 1), sockets)
        made.append(child)
        return child

    yield make
    for child in made:
        child.close()


def remote(backend, frames):
    """What another process gets: everything on a networked bus, nothing otherwise."""
    return frames if backend.networked else []


def settle(child, sid, count, backend):
    """Collect the child's frames until ``count`` arrived for ``sid`` (networked) or a short wait."""
    if backend.networked:
        wait_for(lambda: child.drain(0.05) and len(frames_for(child, sid)) >= count)
    child.drain(0.5)  # and anything extra (a duplicate) would show now
    return frames_for(child, sid)


def test_publish_reaches_each_room_member_once_in_every_process(backend, bus, peers):
    here, outsider = connect("p-in", ["r"]), connect("p-out", ["other"])
    child = peers({"c-in": ["r"], "c-out": []})
    realtime.emit("hello", "from here", room="r")
    child.command(op="emit", event="back", args=[1, {"k": "v"}], room="r")
    child.expect("emitted")
    if backend.networked:
        assert wait_for(lambda: len(here.frames) >= 2)
    time.sleep(0.3)
    assert here.frames == [("hello", ["from here"])] + remote(backend, [("back", [1, {"k": "v"}])])
    assert outsider.frames == []
    got = settle(child, "c-in", 2, backend)  # (its own emit and ours race there: any order)
    assert sorted(got, key=str) == sorted(
        remote(backend, [("hello", ["from here"])]) + [("back", [1, {"k": "v"}])], key=str
    )
    assert frames_for(child, "c-out") == []


def test_to_reaches_one_socket_wherever_it_is(backend, bus, peers):
    here, other = connect("p-1", ["r"]), connect("p-2", ["r"])
    child = peers({"c-1": ["r"], "c-2": ["r"]})
    realtime.emit("direct", "there", to="c-1")
    realtime.emit("direct", "here", to="p-1")
    assert settle(child, "c-1", 1, backend) == remote(backend, [("direct", ["there"])])
    assert here.frames == [("direct", ["here"])]
    assert other.frames == [] and frames_for(child, "c-2") == []


def test_skip_leaves_out_only_the_sender(backend, bus, peers):
    sender, neighbour = connect("p-send", ["r"]), connect("p-next", ["r"])
    child = peers({"c-in": ["r"]})
    sender.broadcast_emit("said", "hi", room="r")
    assert sender.frames == []
    assert neighbour.frames == [("said", ["hi"])]
    assert settle(child, "c-in", 1, backend) == remote(backend, [("said", ["hi"])])


def test_rooms_are_per_endpoint(backend, bus, peers):
    main, other = connect("p-main", ["r"]), connect("p-other", ["r"], endpoint="/other")
    child = peers({"c-in": ["r"]})
    realtime.emit("only-main", room="r")
    assert main.frames == [("only-main", [])] and other.frames == []
    assert settle(child, "c-in", 1, backend) == remote(backend, [("only-main", [])])


def test_presence_lists_every_process_that_shares_it(backend, bus, peers):
    connect("p-1", ["lobby"])
    child = peers({"c-1": ["lobby"], "c-2": ["lobby", "side"], "c-3": []})
    theirs = {"c-1", "c-2"} if backend.shares_presence else set()
    members = {m["sid"]: m for m in realtime.presence("lobby")}
    assert set(members) == {"p-1"} | theirs
    assert members["p-1"]["process"] == bus.process_id and members["p-1"]["transport"] == "fake"
    if backend.shares_presence:
        assert members["c-1"]["process"] == child.process_id
    child.close()  # a graceful close takes its members out at once
    assert {m["sid"] for m in realtime.presence("lobby")} == {"p-1"}


def test_stats_list_every_process_that_shares_them(backend, bus, peers):
    connect("p-1", ["r1", "r2"])
    child = peers({"c-1": ["r"], "c-2": ["r"]})
    rows = {}

    def complete():
        rows.clear()
        rows.update({row["process"]: row for row in bus.stats()})
        return child.process_id in rows and rows[child.process_id]["connections_total"] == 2

    listed = wait_for(complete, timeout=10 if backend.shares_stats else 1)
    assert bool(listed) == backend.shares_stats, rows
    mine = rows[bus.process_id]
    assert mine["connections"] == {"fake": 1} and mine["rooms"] == 2
    assert mine["bus"]["backend"] == type(bus).__name__ and mine["bus"]["networked"] == backend.networked
    assert set(mine["per_second"]) == {"messages_in", "messages_out", "published"}


@pytest.mark.parametrize("backend", NETWORKED, indirect=True)
def test_reconnect_after_a_peer_dies_and_after_an_outage(backend, bus, peers):
    """A peer killed (SIGKILL) and replaced is reached again and leaves presence; the link comes back."""
    here = connect("p-1", ["r"])
    dead = peers({"c-dead": ["r"]}, slot=1)
    dead.process.send_signal(signal.SIGKILL)
    dead.process.wait(10)
    killed = time.monotonic()
    fresh = peers({"c-new": ["r"]}, slot=1)  # same address/slot: a restarted process
    if backend.shares_presence:
        assert wait_for(lambda: {m["sid"] for m in realtime.presence("r")} == {"p-1", "c-new"}, timeout=10)
        print(f"\n{backend.name}: a SIGKILLed peer's members left presence after {time.monotonic() - killed:.1f}s")
    assert probe_until_heard(fresh, "c-new", timeout=10), "the restarted peer was not reached"

    with backend.outage():
        realtime.emit("during", room="r")  # local delivery goes on, whatever the link does
        assert ("during", []) in here.frames
    started = time.monotonic()
    assert probe_until_heard(fresh, "c-new", timeout=30), "delivery did not resume after the outage"
    print(f"{backend.name}: delivery resumed {time.monotonic() - started:.1f}s after the outage ended")


def probe_until_heard(child, sid, timeout):
    """Emit probes to the child's room until one arrives: True when it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tag = uuid.uuid4().hex[:6]
        realtime.emit("probe", tag, room="r")
        child.drain(0.3)
        if ("probe", [tag]) in frames_for(child, sid):
            return True
    return False
