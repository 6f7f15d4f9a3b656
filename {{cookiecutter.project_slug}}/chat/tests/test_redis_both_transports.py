"""Both transports, one room: Socket.IO and SockJS users chat together over the Redis bus.

(Deleted from projects with one transport, or without Redis.)
"""

from chat.tests import test_redis_chat
from chat.tests.browser import chat_between, create_rooms, open_room, screenshot, serve, wait_members
from chat.tests.test_chat_live import join
from realtime import conf
from realtime.testing import free_ports

# The Redis fixtures of test_redis_chat, shared rather than copied.
redis_url = test_redis_chat.redis_url
bus_env = test_redis_chat.bus_env
wire_client = test_redis_chat.wire_client


def test_wire_clients_on_both_transports_chat_together(bus_env, tmp_path):
    database = str(tmp_path / "db.sqlite3")
    with (
        serve("sockjs", env=bus_env, database=database) as sj,
        serve("socketio", env=bus_env, database=database) as sio,
    ):
        create_rooms(sio, "mixed-wire")
        with wire_client("socketio", sio) as ann, wire_client("sockjs", sj) as bob:
            join(ann, "mixed-wire", "ann")
            answer = join(bob, "mixed-wire", "bob")
            assert sorted((m["nickname"], m["transport"]) for m in answer["members"]) == [
                ("ann", "socketio"),
                ("bob", "sockjs"),
            ]
            ann.emit("chat:message", {"room": "mixed-wire", "text": "from socket.io"})
            bob.emit("chat:message", {"room": "mixed-wire", "text": "from sockjs"})
            for client in (ann, bob):
                got = [client.receive("chat:message", timeout=10)["text"] for _ in range(2)]
                assert sorted(got) == ["from socket.io", "from sockjs"]


def test_browsers_on_both_transports_chat_together(browser, bus_env, tmp_path):
    """One page, two transports: ``?transport=sockjs`` connects to the SockJS process."""
    database = str(tmp_path / "db.sqlite3")
    web_port, sockjs_port = free_ports(2)
    # The pages' origin is another origin than SockJS's (another port): allowed by name.
    allowed = {"REALTIME_ALLOWED_ORIGINS": f"http://127.0.0.1:{web_port},http://127.0.0.1:{sockjs_port}"}
    with serve("sockjs", env={**bus_env, **allowed}, database=database, port=sockjs_port) as sockjs:
        env = {**bus_env, **allowed, "REALTIME_SOCKJS_URL": sockjs.url + conf.sockjs_prefix()}
        with serve("socketio", env=env, database=database, port=web_port) as web:
            create_rooms(web, "mixed")
            ann, ann_watch = open_room(browser, web.url, "mixed", "ann", transport="socketio")
            bob, bob_watch = open_room(browser, web.url, "mixed", "bob", transport="sockjs")
            wait_members(ann, ["ann", "bob"])
            wait_members(bob, ["ann", "bob"])
            chat_between(ann, bob, "mixed")
            transports = bob.locator("#members .transport").all_text_contents()
            assert sorted(transports) == ["socketio", "sockjs"]
            screenshot(bob, "chat-both-transports")
            bob.context.close()
            wait_members(ann, ["ann"])
            assert ann_watch.dialogs == bob_watch.dialogs == []
            assert ann_watch.errors == bob_watch.errors == []
            ann.context.close()
