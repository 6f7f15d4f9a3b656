"""Playwright helpers shared by the examples' browser tests.

Debian's ``chromium`` is driven headless (``playwright install`` cannot
download browsers on every machine); screenshots go to
``REALTIME_ARTIFACTS_DIR`` (default ``<project>/artifacts/``, git-ignored)
so a person can look at the pages the tests saw.
"""

import json

from realtime import conf

from realtime.testing import LiveServer
from realtime.testing.browser import screenshot, screenshots  # noqa: F401 - the chat tests import them from here

TRANSPORTS = conf.transports()
EVIL = "<img src=x onerror=alert(1)>"
TIMEOUT = 15_000  # ms: generous for a shared 2-core machine


class Watch:
    """Records what a page did that a test must see: dialogs and JS errors."""

    def __init__(self, page):
        self.dialogs, self.errors = [], []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


def create_rooms(server, *names):
    server.manage(
        "shell", "-c", f"from chat.models import Room\nfor n in {list(names)!r}: Room.objects.get_or_create(name=n)"
    )


def db_ids(server, room):
    script = (
        "import json\nfrom chat.models import Message\n"
        f"ids = Message.objects.filter(room__name={room!r}).order_by('id').values_list('id', flat=True)\n"
        "print(json.dumps(list(ids)))"
    )
    return json.loads(server.manage("shell", "-c", script).stdout.strip().splitlines()[-1])


def serve(transport, **kwargs):
    if transport == "sockjs":
        return LiveServer("runsocket", args=["--django"], **kwargs)
    return LiveServer("rungevent", **kwargs)


def open_room(browser, base, room, nickname, transport=None, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 900, "height": 640})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    watch = Watch(page)
    query = f"?transport={transport}" if transport else ""
    page.goto(f"{base}/chat/{room}/{query}")
    page.fill("#nickname", nickname)
    page.click("#nick button")
    page.wait_for_selector("#text:enabled")
    return page, watch


def say(page, text):
    page.fill("#text", text)
    page.press("#text", "Enter")


def texts(page):
    return page.locator("#messages .msg .text").all_text_contents()


def members(page):
    return page.locator("#members .name").all_text_contents()


def wait_members(page, expected):
    page.wait_for_function(
        "names => JSON.stringify([...document.querySelectorAll('#members .name')].map(e => e.textContent))"
        " === JSON.stringify(names)",
        arg=list(expected),
    )


def wait_text(page, text):
    page.wait_for_function(
        "t => [...document.querySelectorAll('#messages .msg .text')].some(e => e.textContent === t)", arg=text
    )


def chat_between(ann, bob, room_label):
    say(ann, f"hello from ann in {room_label}")
    wait_text(bob, f"hello from ann in {room_label}")
    say(bob, EVIL)
    wait_text(ann, EVIL)
    wait_text(bob, EVIL)
    for page in (ann, bob):
        assert page.locator("#messages img").count() == 0  # shown as text, never parsed as HTML
        assert page.locator("#messages .msg .text", has_text=EVIL).first.is_visible()
