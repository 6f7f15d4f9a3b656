"""The chat and ping/pong on one page share one connection (issue 15, point 1).

With the ping/pong example installed, the chat room shows the ping/pong
round trip in its header: the page's ``Realtime.connect()`` (the chat) and its
``SignalSocket('/pingpong')`` are two endpoints over one connection (a
multiplexed SockJS connection, or two namespaces of one Engine.IO
connection). Chromium's network log counts the connections. Without the
example, the page has the chat alone, on one connection too.
"""

import pytest
from django.apps import apps

from chat.tests.browser import TIMEOUT, TRANSPORTS, Watch, create_rooms, say, serve, wait_text
from realtime.tests.browser.one_connection import Wire

PINGPONG = apps.is_installed("pingpong")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_chat_and_pingpong_share_one_connection(browser, transport):
    with serve(transport) as server:
        room = f"one-{transport}"
        create_rooms(server, room)
        page = browser.new_context(viewport={"width": 900, "height": 640}).new_page()
        page.set_default_timeout(TIMEOUT)
        watch, wire = Watch(page), Wire(page)
        page.goto(f"{server.url}/chat/{room}/?transport={transport}")
        page.fill("#nickname", "ann")
        page.click("#nick button")
        page.wait_for_selector("#text:enabled")
        say(page, "one connection")
        wait_text(page, "one connection")
        if PINGPONG:  # the round trip came back over the same connection
            page.wait_for_function("() => /^\\d+ ms$/.test(document.getElementById('latency').textContent)")
            assert page.locator("#latency").is_visible()
        else:
            assert page.locator("#latency").count() == 0
        if transport == "sockjs":
            assert len(wire.sockjs_sessions()) == 1, wire.sockjs_sessions()
            assert len(wire.websockets) == 1 and "/sockjs/mux/" in wire.websockets[0], wire.websockets
        else:
            assert len(wire.engineio_handshakes()) == 1, wire.engineio_handshakes()
            assert len(wire.websockets) == 1, wire.websockets
        assert watch.errors == [] and watch.dialogs == []
        page.context.close()
