"""The chat over real servers and real wire clients (no browser).

Each test talks to ``manage.py rungevent`` / ``runsocket`` in a child
process (``realtime.testing.LiveServer``) with the wire clients of
``realtime.testing``, exactly as a client that bypasses the page would:
the limits and the private-room rule must hold there, on the server.
"""

import itertools
import json

import pytest
from realtime import conf

from realtime.testing import LiveServer

TRANSPORTS = conf.transports()
COMMAND = {"socketio": "rungevent", "sockjs": "runsocket"}
ROOMS = ["live-a", "live-b", "live-c", "live-d", "secret"]
_names = itertools.count(1)


def create_rooms(server, *names, private=()):
    script = (
        "from chat.models import Room\n"
        f"for n in {list(names)!r}:\n"
        f"    Room.objects.get_or_create(name=n, defaults={{'private': n in {list(private)!r}}})\n"
    )
    server.manage("shell", "-c", script)


def db_messages(server, room):
    script = (
        "import json\n"
        "from chat.models import Message\n"
        f"print(json.dumps(list(Message.objects.filter(room__name={room!r}).order_by('id').values_list('id', 'text'))))"
    )
    out = server.manage("shell", "-c", script).stdout.strip().splitlines()[-1]
    return [tuple(x) for x in json.loads(out)]


def connect(transport, server, cookies=None, **kwargs):
    if transport == "socketio":
        from realtime.testing import SocketIOTestClient

        return SocketIOTestClient(server.url, cookies=cookies, **kwargs)
    from realtime.testing import SockJSTestClient

    return SockJSTestClient(server.url + settings_prefix(), cookies=cookies, **kwargs)


def settings_prefix():
    from realtime import conf

    return conf.sockjs_prefix()


def nickname():
    return f"user{next(_names)}"


@pytest.fixture(scope="module", params=TRANSPORTS)
def server(request):
    transport = request.param
    with LiveServer(COMMAND[transport], args=["--django"] if transport == "sockjs" else []) as live:
        create_rooms(live, *ROOMS, private=["secret"])
        live.transport = transport
        yield live


def join(client, room, name=None, after=None):
    answer = client.emit("chat:join", {"room": room, "nickname": name or nickname(), "after": after})
    assert answer.get("ok"), answer
    return answer


def test_two_clients_chat_and_see_each_other(server):
    with connect(server.transport, server) as ann, connect(server.transport, server) as bob:
        join(ann, "live-a", "ann")
        answer = join(bob, "live-a", "bob")
        assert [m["nickname"] for m in answer["members"]] == ["ann", "bob"]
        assert ann.receive("chat:presence")["members"] == [{"nickname": "ann", "transport": server.transport}]
        assert ann.receive("chat:presence")["nickname"] == "bob"
        evil = "<img src=x onerror=alert(1)>"
        ack = bob.emit("chat:message", {"room": "live-a", "text": evil})
        assert ack["ok"]
        for client in (ann, bob):
            got = client.receive("chat:message")
            assert (got["id"], got["nickname"], got["text"]) == (ack["id"], "bob", evil)
        bob.disconnect()
        left = ann.receive("chat:presence")
        assert (left["event"], left["nickname"]) == ("left", "bob")
        assert [m["nickname"] for m in left["members"]] == ["ann"]


def test_limits_hold_for_a_raw_client_and_the_room_keeps_working(server):
    with connect(server.transport, server) as spammer, connect(server.transport, server) as other:
        join(spammer, "live-b")
        join(other, "live-b")
        too_long = spammer.emit("chat:message", {"room": "live-b", "text": "x" * 501})
        assert too_long["error"] == "too_long"
        answers = [spammer.emit("chat:message", {"room": "live-b", "text": f"spam {i}"}) for i in range(7)]
        assert [bool(a.get("ok")) for a in answers] == [True] * 5 + [False] * 2
        assert answers[-1]["error"] == "rate_limited" and answers[-1]["retry_after"] > 0
        # without asking for an ack, the sender is still told
        spammer.emit("chat:message", {"room": "live-b", "text": "more"}, ack=False)
        assert spammer.receive("chat:error")["error"] == "rate_limited"
        # others are not limited by the spammer, and see only the accepted messages
        assert other.emit("chat:message", {"room": "live-b", "text": "still here"})["ok"]
        texts = [other.receive("chat:message")["text"] for _ in range(6)]
        assert texts == [f"spam {i}" for i in range(5)] + ["still here"]
        assert spammer.receive("chat:message")  # the room still reaches the spammer
    stored = [text for _, text in db_messages(server, "live-b")]
    assert stored == [f"spam {i}" for i in range(5)] + ["still here"]


def test_nickname_taken_and_bad_input_answered(server):
    with connect(server.transport, server) as one, connect(server.transport, server) as two:
        join(one, "live-c", "Zed")
        answer = two.emit("chat:join", {"room": "live-c", "nickname": "zed"})
        assert answer["error"] == "nickname_taken"
        assert two.emit("chat:message", {"room": "live-c", "text": "hi"})["error"] == "not_joined"
        assert two.emit("chat:join", {"room": "nope", "nickname": "x"})["error"] == "no_room"
        assert two.emit("chat:join", [1, 2, 3])["error"] == "no_room"
        # the server is still serving both
        assert one.emit("chat:message", {"room": "live-c", "text": "fine"})["ok"]


def test_private_room_refuses_anonymous_sockets(server):
    with connect(server.transport, server) as anon:
        assert anon.emit("chat:join", {"room": "secret", "nickname": "eve"})["error"] == "login_required"
        assert anon.emit("chat:message", {"room": "secret", "text": "let me in"})["error"] == "not_joined"
    with connect(server.transport, server, cookies=server.login("carol")) as carol:
        answer = join(carol, "secret", "ignored")
        assert answer["nickname"] == "carol"
    assert db_messages(server, "secret") == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reconnect_after_server_killed_gets_exactly_the_missed_messages(transport):
    """A client misses messages while its socket process is dead, then catches up."""
    with LiveServer(COMMAND[transport]) as server:
        create_rooms(server, "outage")
        seen = []
        ann = connect(transport, server)
        bob = connect(transport, server)
        join(ann, "outage", "ann")
        join(bob, "outage", "bob")
        for i in range(3):
            bob.emit("chat:message", {"room": "outage", "text": f"before {i}"})
        seen += [ann.receive("chat:message") for _ in range(3)]

        server.kill()  # SIGKILL: no goodbye
        assert ann.disconnected.wait(10)
        ann.close()
        bob.close()
        # while ann is away, the room goes on (another process writes to the database)
        for i in range(4):
            server.manage("chat_announce", "outage", f"during {i}")
        server.start()

        bob = connect(transport, server)
        join(bob, "outage", "bob")
        ann = connect(transport, server)
        answer = join(ann, "outage", "ann", after=seen[-1]["id"])
        seen += answer["messages"]
        bob.emit("chat:message", {"room": "outage", "text": "after"})
        seen.append(ann.receive("chat:message"))
        ann.close()
        bob.close()

        expected = db_messages(server, "outage")
        assert [(m["id"], m["text"]) for m in seen] == expected
        assert [t for _, t in expected] == [f"before {i}" for i in range(3)] + [f"during {i}" for i in range(4)] + [
            "after"
        ]
