"""A logged-in socket in a private room is closed when its session logs out over HTTP.

Issue 16, point 5: the user is resolved at connect, so before this a socket
kept its user (and the private room) after the same browser logged out. The
logout is a real ``POST /admin/logout/`` (with the CSRF token) to the live
server; the socket is closed by the server, another user's stays, and the
session reconnects as anonymous, which the private room refuses.
"""

import pytest
import requests

from chat.tests.test_chat_live import COMMAND, TRANSPORTS, connect, create_rooms, join
from realtime.testing import LiveServer

CLOSE_WITHIN = 10  # seconds; the close is immediate, this is the margin of a loaded machine


def logout_over_http(server, cookies):
    """What the browser of ``cookies`` does on "Log out": GET a page for the CSRF token, POST logout."""
    session = requests.Session()
    session.cookies.update(cookies)
    page = session.get(server.url + "/admin/", timeout=10)
    assert page.status_code == 200 and "csrftoken" in session.cookies, page.status_code
    answer = session.post(
        server.url + "/admin/logout/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": server.url + "/admin/"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.status_code
    assert session.get(server.url + "/admin/", timeout=10, allow_redirects=False).status_code == 302  # logged out


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_logout_over_http_closes_the_sessions_socket_in_a_private_room(transport):
    with LiveServer(COMMAND[transport], args=["--django"] if transport == "sockjs" else []) as server:
        create_rooms(server, "staff-only", private=["staff-only"])
        ann_cookies = server.login("ann-rv", is_staff=True)
        with (
            connect(transport, server, cookies=ann_cookies) as ann,
            connect(transport, server, cookies=server.login("bob-rv")) as bob,
        ):
            join(ann, "staff-only")
            join(bob, "staff-only")
            assert ann.emit("chat:message", {"room": "staff-only", "text": "before"})["ok"]
            logout_over_http(server, ann_cookies)
            assert ann.disconnected.wait(CLOSE_WITHIN), "the logged-out session's socket stayed open"
            assert bob.connected and bob.emit("chat:message", {"room": "staff-only", "text": "still here"})["ok"]
        # the same cookie now opens an anonymous socket, which the private room refuses
        with connect(transport, server, cookies=ann_cookies) as again:
            assert again.emit("chat:join", {"room": "staff-only", "nickname": "ann"})["error"] == "login_required"
        assert "closed 1 socket(s) of user" in server.log()
