"""The chat page in headless Chromium, on each transport and across them.

Two browser contexts (two people with their own cookies and storage) chat;
a hostile message is shown as text and runs nothing; presence follows who
comes and goes; a page whose socket server is killed reconnects by itself
and ends with exactly the room's messages. Screenshots land in the
artifacts folder (see ``browser.py``).
"""

import pytest

from chat.tests.browser import (
    TIMEOUT,
    TRANSPORTS,
    chat_between,
    create_rooms,
    db_ids,
    open_room,
    say,
    screenshot,
    screenshots,
    serve,
    texts,
    wait_members,
    wait_text,
)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_two_people_chat_on_each_transport(browser, transport):
    with serve(transport) as server:
        room = f"b-{transport}"
        create_rooms(server, room)
        ann, ann_watch = open_room(browser, server.url, room, "ann", transport=transport)
        bob, bob_watch = open_room(browser, server.url, room, "bob", transport=transport)
        wait_members(ann, ["ann", "bob"])
        chat_between(ann, bob, transport)
        screenshots(ann, f"chat-{transport}")
        # presence follows bob out
        bob.context.close()
        wait_members(ann, ["ann"])
        ann.wait_for_selector("#messages .notice:has-text('bob left')")
        assert ann_watch.dialogs == [] and bob_watch.dialogs == []
        assert ann_watch.errors == [] and bob_watch.errors == []
        ann.context.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_page_reconnects_after_server_killed_and_catches_up(browser, transport):
    with serve(transport) as server:
        create_rooms(server, "recover")
        ann, watch = open_room(browser, server.url, "recover", "ann", transport=transport)
        say(ann, "before 1")
        say(ann, "before 2")
        wait_text(ann, "before 2")
        server.kill()
        ann.wait_for_selector("#status[data-state=reconnecting]")
        for i in range(3):  # the room goes on while ann is cut off
            server.manage("chat_announce", "recover", f"during {i}")
        server.start()
        ann.wait_for_selector("#status[data-state=connected]", timeout=30_000)
        wait_text(ann, "during 2")
        bob, _ = open_room(browser, server.url, "recover", "bob", transport=transport)
        say(bob, "after")
        wait_text(ann, "after")
        shown = [int(i) for i in ann.locator("#messages .msg").evaluate_all("els => els.map(e => e.dataset.id)")]
        assert shown == db_ids(server, "recover")  # exactly the room's messages, in order, once each
        assert texts(ann) == ["before 1", "before 2", "during 0", "during 1", "during 2", "after"]
        screenshot(ann, f"chat-reconnected-{transport}")
        assert watch.dialogs == []
        ann.context.close()
        bob.context.close()


def test_room_list_and_phone_layout(browser):
    with serve(TRANSPORTS[0]) as server:
        create_rooms(server, "phone")
        context = browser.new_context(viewport={"width": 390, "height": 740}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(f"{server.url}/chat/")
        page.fill("#id_name", "Bad Name!")
        page.click("form.create button")
        assert page.locator("form.create .error").count() == 1
        page.fill("#id_name", "from-phone")
        page.click("form.create button")
        page.wait_for_url(f"{server.url}/chat/from-phone/")
        page.fill("#nickname", "pat")
        page.click("#nick button")
        page.wait_for_selector("#text:enabled")
        say(page, "typed on a phone")
        wait_text(page, "typed on a phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing overflows sideways
        screenshot(page, "chat-phone")
        context.close()
