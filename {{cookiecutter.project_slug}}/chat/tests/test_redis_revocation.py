"""Logout, deactivation and a password change close the user's sockets in every process.

Issue 16, point 5, across processes: two socket servers on one Redis bus and
one database (Socket.IO and SockJS when both are chosen), the change made in
a third process (``manage.py shell``, as an admin's or a worker's would be)
or over HTTP on the other server. (Deleted from projects made without Redis.)
"""

import pytest

from chat.tests import test_redis_chat
from chat.tests.browser import TRANSPORTS, serve
from chat.tests.test_chat_live import connect, create_rooms, join
from chat.tests.test_chat_revocation import CLOSE_WITHIN, logout_over_http

redis_url = test_redis_chat.redis_url
bus_env = test_redis_chat.bus_env


@pytest.fixture
def two_servers(bus_env, tmp_path):
    """Two socket processes sharing the bus and the database: ``[(transport, server), ...]``."""
    first, second = (TRANSPORTS * 2)[:2]
    database = str(tmp_path / "db.sqlite3")
    with serve(first, env=bus_env, database=database) as a, serve(second, env=bus_env, database=database) as b:
        create_rooms(a, "board", private=["board"])
        yield [(first, a), (second, b)]


def sockets_on_both(servers, cookies):
    clients = [connect(transport, server, cookies=cookies) for transport, server in servers]
    for client in clients:
        join(client, "board")
    return clients


def change_user(server, username, code):
    script = (
        "from django.contrib.auth import get_user_model\n"
        f"u = get_user_model().objects.get(username={username!r})\n{code}\n"
    )
    server.manage("shell", "-c", script)


@pytest.mark.parametrize(
    "change", ["u.is_active = False; u.save()", "u.set_password('another'); u.save()"], ids=["deactivate", "password"]
)
def test_a_change_in_a_third_process_closes_the_users_sockets_in_both(two_servers, change):
    (_, a), _ = two_servers
    ann = sockets_on_both(two_servers, a.login("ann-redis", is_staff=True))
    bob = sockets_on_both(two_servers, a.login("bob-redis"))
    try:
        change_user(a, "ann-redis", change)
        for client in ann:
            assert client.disconnected.wait(CLOSE_WITHIN), "a socket of the changed user stayed open"
        for client in bob:
            assert client.connected and client.emit("chat:message", {"room": "board", "text": "still"})["ok"]
    finally:
        for client in ann + bob:
            client.close()


def test_logout_over_http_on_one_server_closes_the_socket_on_the_other(two_servers):
    (_, a), (transport_b, b) = two_servers
    cookies = a.login("cat-redis", is_staff=True)
    with connect(transport_b, b, cookies=cookies) as cat:
        join(cat, "board")
        logout_over_http(a, cookies)
        assert cat.disconnected.wait(CLOSE_WITHIN), "the socket on the other process stayed open"
    assert "closed 1 socket(s) of user" in b.log()
