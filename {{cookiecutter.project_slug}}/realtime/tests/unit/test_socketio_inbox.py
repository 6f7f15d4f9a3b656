"""The inbox's two rules, in greenlets: the reader waits (nothing dropped), and a stall is told and counted.

The live tests (test_socketio_backpressure.py) show the first rule end to end;
the stall cannot be provoked there without waiting out Engine.IO's own ping
timeout, so it is checked here with the real :mod:`.inbox` and a server stand-in.
"""

import gevent
import gevent.event

from realtime import stats
from realtime.transports.socketio import inbox


class Server:
    """What inbox needs of the Socket.IO server: tasks, events, and running one event."""

    def __init__(self):
        self.eio = self
        self.ran = []
        self.gate = gevent.event.Event()  # receivers block until it opens

    def create_event(self):
        return gevent.event.Event()

    def start_background_task(self, target, *args):
        return gevent.spawn(target, *args)

    def _run_event(self, socket, name, args, ack):
        self.gate.wait()
        self.ran.append(args[0])


class Socket:
    sid = "s1"

    def __init__(self):
        self.inbox = None
        self.draining = False
        self.resume = None
        self.connected = True
        self.emitted = []

    def emit(self, event, *args):
        self.emitted.append((event, *args))

    def disconnect(self):
        self.connected = False


def test_the_reader_waits_while_receivers_are_behind_and_nothing_is_dropped():
    server, socket = Server(), Socket()
    count = 1_000
    accepted = []

    def reader():
        for i in range(count):
            accepted.append(inbox.put(server, socket, ("n", [i], None)))

    reading = gevent.spawn(reader)
    gevent.sleep(0.1)
    # HIGH_WATER were queued, the receiver holds the first, and the reader waits (reads no more)
    assert len(accepted) == inbox.HIGH_WATER and not reading.dead
    assert len(socket.inbox) == inbox.HIGH_WATER - 1
    server.gate.set()
    reading.join(10)
    gevent.sleep(0.1)
    assert accepted == [True] * count
    assert server.ran == list(range(count))
    assert socket.inbox is None and not socket.draining  # idle again: no deque kept


def test_receivers_that_take_nothing_for_the_stall_limit_get_the_client_told_and_cut_off(monkeypatch):
    monkeypatch.setattr(inbox, "stall_limit", lambda: 0.2)
    server, socket = Server(), Socket()
    before = stats.counters.overloaded
    results = []

    def reader():
        for i in range(inbox.HIGH_WATER + 5):
            ok = inbox.put(server, socket, ("n", [i], None))
            results.append(ok)
            if not ok:
                return

    gevent.spawn(reader).join(5)
    assert results[-1] is False and results.count(False) == 1
    assert socket.emitted and socket.emitted[0][0] == "error"
    assert socket.emitted[0][1]["error"] == "overloaded"
    assert not socket.connected
    assert stats.counters.overloaded == before + 1
    server.gate.set()  # let the receivers finish what was accepted
    gevent.sleep(0.1)
