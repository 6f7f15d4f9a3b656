"""Both transports, one room: the development setup behaves as production's.

A Socket.IO process and a SockJS process, as ``make run`` runs them (rundev:
the local bus, Unix sockets and a shared presence file) and, in projects
made with a networked bus, on that bus (``realtime.testing.setups``). Every
test runs on each setup: rooms, presence ("Here now"), nickname uniqueness,
history, over the wire protocols and in two browsers.

(Deleted from projects with one transport.)
"""

import pytest

from chat.tests.browser import TIMEOUT, create_rooms, members, open_room, screenshot, serve, wait_members
from chat.tests.test_chat_live import join
from realtime import conf
from realtime.testing import SocketIOTestClient, SockJSTestClient, free_ports, setups


@pytest.fixture(params=setups.names())
def setup(request, tmp_path):
    """``(name, environment)`` of a bus setup both servers share."""
    with setups.bus_env(request.param, tmp_path) as env:
        yield request.param, env


@pytest.fixture
def servers(setup, tmp_path):
    """``(socketio, sockjs)`` on one database; the Socket.IO one's pages reach SockJS with ``?transport=sockjs``."""
    database = str(tmp_path / "db.sqlite3")
    env = setup[1]
    web_port, sockjs_port = free_ports(2)
    # The pages' origin is another origin than SockJS's (another port): allowed by name.
    env = {**env, "REALTIME_ALLOWED_ORIGINS": f"http://127.0.0.1:{web_port},http://127.0.0.1:{sockjs_port}"}
    with serve("sockjs", env=env, database=database, port=sockjs_port) as sockjs:
        env = {**env, "REALTIME_SOCKJS_URL": sockjs.url + conf.sockjs_prefix()}
        with serve("socketio", env=env, database=database, port=web_port) as socketio:
            yield socketio, sockjs


def clients(servers):
    socketio, sockjs = servers
    return SocketIOTestClient(socketio.url), SockJSTestClient(sockjs.url + conf.sockjs_prefix())


def refused(client, room, nickname):
    answer = client.emit("chat:join", {"room": room, "nickname": nickname})
    assert answer.get("error") == "nickname_taken", answer
    return answer


def test_rooms_presence_nicknames_and_history_span_both_transports(servers):
    create_rooms(servers[0], "both-wire")
    ann_client, bob_client = clients(servers)
    with ann_client as ann, bob_client as bob:
        join(ann, "both-wire", "ann")
        answer = join(bob, "both-wire", "bob")
        assert [(m["nickname"], m["transport"]) for m in answer["members"]] == [("ann", "socketio"), ("bob", "sockjs")]
        assert ann.receive("chat:presence", timeout=10)["nickname"] == "ann"
        joined = ann.receive("chat:presence", timeout=10)
        assert (joined["nickname"], [m["nickname"] for m in joined["members"]]) == ("bob", ["ann", "bob"])

        # A nickname is taken in the room whatever the transport, case folded.
        late_sio, late_sjs = clients(servers)
        with late_sio as carol_sio, late_sjs as carol_sjs:
            refused(carol_sjs, "both-wire", "ANN")
            refused(carol_sio, "both-wire", "Bob")

            ann.emit("chat:message", {"room": "both-wire", "text": "from socket.io"})
            bob.emit("chat:message", {"room": "both-wire", "text": "from sockjs"})
            for client in (ann, bob):
                got = [client.receive("chat:message", timeout=10)["text"] for _ in range(2)]
                assert sorted(got) == ["from socket.io", "from sockjs"]

            # History: a later joiner on either transport gets both lines.
            answer = join(carol_sjs, "both-wire", "carol")
            assert [m["text"] for m in answer["messages"]] == ["from socket.io", "from sockjs"]
            assert [m["nickname"] for m in answer["members"]] == ["ann", "bob", "carol"]

        # carol's connections closed: she leaves presence in both processes.
        gone = ann.receive("chat:presence", timeout=10)
        while gone["event"] != "left":
            gone = ann.receive("chat:presence", timeout=10)
        assert (gone["nickname"], [m["nickname"] for m in gone["members"]]) == ("carol", ["ann", "bob"])
        free_again = SockJSTestClient(servers[1].url + conf.sockjs_prefix())
        with free_again as dave:
            assert [m["nickname"] for m in join(dave, "both-wire", "Carol")["members"]] == ["ann", "bob", "Carol"]


def test_two_browsers_one_per_transport_see_each_other_and_no_duplicate_nickname(browser, servers, setup):
    """The acceptance test of issue 12: "Here now" is right and a nickname is refused across transports."""
    web, _sockjs = servers
    create_rooms(web, "both")
    ann, ann_watch = open_room(browser, web.url, "both", "ann", transport="socketio")
    bob, bob_watch = open_room(browser, web.url, "both", "bob", transport="sockjs")
    wait_members(ann, ["ann", "bob"])
    wait_members(bob, ["ann", "bob"])
    assert sorted(bob.locator("#members .transport").all_text_contents()) == ["socketio", "sockjs"]
    screenshot(bob, f"chat-both-transports-{setup[0]}")

    # A third browser on SockJS asks for "Ann": taken over Socket.IO, refused.
    context = browser.new_context(viewport={"width": 900, "height": 640})
    intruder = context.new_page()
    intruder.set_default_timeout(TIMEOUT)
    intruder.goto(f"{web.url}/chat/both/?transport=sockjs")
    intruder.fill("#nickname", "Ann")
    intruder.click("#nick button")
    error = intruder.locator("#error")
    error.wait_for(state="visible")
    assert "already here" in error.text_content()
    assert intruder.locator("#text").is_disabled()
    assert members(ann) == members(bob) == ["ann", "bob"]  # nobody joined
    screenshot(intruder, f"chat-nickname-taken-{setup[0]}")
    context.close()

    bob.context.close()
    wait_members(ann, ["ann"])
    assert ann_watch.dialogs == bob_watch.dialogs == []
    assert ann_watch.errors == bob_watch.errors == []
    ann.context.close()
