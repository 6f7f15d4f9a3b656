"""What the one-connection-per-page browser tests share (issue 15, point 1).

A page opens ``Realtime.connect()`` and two ``SignalSocket``s (``/simple``,
``/per``) on one transport; :class:`Wire` records what Chromium put on the
network, so a test can count the connections the page opened and see that
each endpoint works over them.
"""

from urllib.parse import parse_qs, urlsplit

WAIT = 20_000  # ms

OPEN_ALL = """(transport) => {
  window.got = [];
  window.core = Realtime.connect({transport: transport});
  window.simple = new SignalSocket('/simple', {transport: transport});
  window.per = new SignalSocket('/per', {transport: transport});
  simple.on('pong', d => got.push(['pong', d]));
  per.on('error', e => got.push(['per-error', e.code]));
}"""

ALL_OPEN = "() => core.connected && simple.isOpen && per.isOpen"


class Wire:
    """The websockets and HTTP requests a page opened."""

    def __init__(self, page):
        self.websockets, self.requests = [], []
        page.on("websocket", lambda ws: self.websockets.append(ws.url))
        page.on("request", lambda request: self.requests.append(request.url))

    def sockjs_sessions(self):
        """SockJS connections: one ``/info`` request each (sockjs-client asks before it connects)."""
        return [url for url in self.requests if urlsplit(url).path.endswith("/info")]

    def engineio_handshakes(self):
        """Engine.IO connections: one request without a ``sid`` each (then the upgrade carries it)."""
        found = [url for url in self.requests + self.websockets if "/socket.io/" in url]
        return [url for url in found if "sid" not in parse_qs(urlsplit(url).query)]


def open_page(browser, server, transport):
    """The test app's page with both template tags, every endpoint opened: ``(page, wire, errors)``."""
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    wire = Wire(page)
    page.goto(server.url + "/testapp/clientsignal")
    page.evaluate(OPEN_ALL, transport)
    return page, wire, errors


def exercise(page):
    """Every endpoint answers over the shared connection; returns the core's echo."""
    page.wait_for_function(ALL_OPEN, timeout=WAIT)
    echo = page.evaluate("new Promise(r => core.emit('echo', 'over one', (err, v) => r([err, v])))")
    page.evaluate("simple.send('ping_me', {})")
    page.wait_for_function("() => got.some(e => e[0] === 'pong' && e[1].pong === 'just you')", timeout=WAIT)
    page.evaluate("per.send('no_such_signal', {})")  # the third endpoint answers too (an error, by name)
    page.wait_for_function("() => got.some(e => e[0] === 'per-error')", timeout=WAIT)
    assert page.evaluate("got.find(e => e[0] === 'per-error')[1]") == "unknown_signal"
    return echo
