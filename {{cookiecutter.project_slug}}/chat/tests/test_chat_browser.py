"""The chat page in headless Chromium, on each transport and across them.

Two browser contexts (two people with their own cookies and storage) chat;
a hostile message is shown as text and runs nothing; presence follows who
comes and goes; a page whose socket server is killed reconnects by itself
and ends with exactly the room's messages. A newcomer reads the room before
choosing a nickname; a message the rate limit refuses stays in the input
box. Screenshots land in the artifacts folder (see ``browser.py``).
"""

import pytest

from chat.tests.browser import (
    TIMEOUT,
    TRANSPORTS,
    Watch,
    chat_between,
    create_rooms,
    db_ids,
    members,
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


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_history_is_readable_before_choosing_a_nickname(browser, transport):
    with serve(transport) as server:
        create_rooms(server, "reading")
        server.manage("chat_announce", "reading", "welcome to reading")
        ann, ann_watch = open_room(browser, server.url, "reading", "ann", transport=transport)
        say(ann, "said before you came")
        wait_text(ann, "said before you came")

        context = browser.new_context(viewport={"width": 900, "height": 640})
        bea = context.new_page()
        bea.set_default_timeout(TIMEOUT)
        bea_watch = Watch(bea)
        bea.goto(f"{server.url}/chat/reading/?transport={transport}")
        wait_text(bea, "said before you came")
        assert texts(bea) == ["welcome to reading", "said before you came"]
        wait_members(bea, ["ann"])
        # read-only until a nickname is chosen
        assert bea.is_visible("#nick") and bea.is_disabled("#text")
        assert bea.get_attribute("#text", "placeholder") == "Pick a nickname to write"
        say(ann, "live while you read")
        wait_text(bea, "live while you read")
        assert members(ann) == ["ann"]  # a reader is not in "Here now"
        screenshot(bea, f"chat-reading-{transport}")

        bea.fill("#nickname", "bea")
        bea.click("#nick button")
        bea.wait_for_selector("#text:enabled")
        wait_members(ann, ["ann", "bea"])
        say(bea, "hello from bea")
        wait_text(ann, "hello from bea")
        wait_text(bea, "hello from bea")
        expected = ["welcome to reading", "said before you came", "live while you read", "hello from bea"]
        assert texts(bea) == expected  # each once, in order, across the switch from reader to member
        assert ann_watch.errors == bea_watch.errors == [] and ann_watch.dialogs == bea_watch.dialogs == []
        ann.context.close()
        context.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_message_refused_by_the_rate_limit_stays_in_the_input_box(browser, transport):
    with serve(transport) as server:  # CHAT_RATE_LIMIT: 5 messages per 5 seconds
        create_rooms(server, "slow")
        ann, watch = open_room(browser, server.url, "slow", "ann", transport=transport)
        for i in range(5):
            say(ann, f"quick {i}")
        say(ann, "one too many")
        ann.wait_for_selector("#error:not([hidden])")
        assert "Slow down" in ann.text_content("#error")
        ann.wait_for_function("() => document.getElementById('text').value === 'one too many'")
        wait_text(ann, "quick 4")
        assert "one too many" not in texts(ann)
        screenshot(ann, f"chat-rate-limited-{transport}")
        ann.wait_for_timeout(5_500)  # the window slides: Enter now sends what stayed in the box
        ann.press("#text", "Enter")
        wait_text(ann, "one too many")
        assert ann.input_value("#text") == ""
        assert texts(ann) == [f"quick {i}" for i in range(5)] + ["one too many"]
        assert watch.errors == [] and watch.dialogs == []
        ann.context.close()
