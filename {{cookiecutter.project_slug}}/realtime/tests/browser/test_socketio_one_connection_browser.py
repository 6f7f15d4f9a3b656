"""One Socket.IO connection per page, whatever the number of endpoints (issue 15, point 1).

``Realtime.connect()`` and two ``SignalSocket``s on one page are namespaces of
one Engine.IO connection; Chromium's network log counts the handshakes.
"""

import pytest

from realtime.testing import LiveServer
from realtime.testing.browser import chromium
from realtime.tests.conftest import SIGNAL_SETTINGS, TEST_APPS
from realtime.tests.browser.one_connection import WAIT, exercise, open_page


@pytest.fixture(scope="module")
def server():
    with LiveServer("rungevent", extra_apps=TEST_APPS, env={"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}) as live:
        yield live


def test_one_socketio_connection_carries_every_endpoint(server):
    with chromium() as browser:
        page, wire, errors = open_page(browser, server, "socketio")
        assert exercise(page) == [None, "over one"]
        assert len(wire.engineio_handshakes()) == 1, wire.engineio_handshakes()
        assert len(wire.websockets) == 1, wire.websockets  # the one upgrade
        # a second connection to a namespace already open needs its own (one socket per namespace)
        page.evaluate("window.again = Realtime.connect({transport: 'socketio'})")
        page.wait_for_function("() => again.connected && again.id !== core.id", timeout=WAIT)
        assert len(wire.engineio_handshakes()) == 2
        page.evaluate("again.close(); per.close()")
        page.wait_for_timeout(300)
        assert page.evaluate("core.connected && simple.isOpen && !per.isOpen")
        page.evaluate("window.third = new SignalSocket('/per', {transport: 'socketio'})")  # back on the first
        page.wait_for_function("() => third.isOpen", timeout=WAIT)
        assert len(wire.engineio_handshakes()) == 2
        assert not errors, errors
        page.close()
