"""The live dashboard in headless Chromium, on each transport the project serves.

A staff user's dashboard goes live over the realtime layer and shows the
traffic a second page makes (six sockets in one room, each emitting to the
room): connections, the room and its members, messages in and out per second
on the chart. With its socket blocked, the page falls back to polling
``stats.json``. Screenshots (desktop and phone) land in the artifacts folder.
"""

import pytest
from realtime import conf

from realtime.testing import LiveServer
from realtime.testing.browser import chromium, screenshots

TRANSPORTS = conf.transports()
TIMEOUT = 20_000  # ms: generous for a shared 2-core machine
SOCKETS = 6

#: Six sockets join "load" and take turns emitting to it, at a rate that swells and ebbs.
TRAFFIC = """([transport, n]) => new Promise((resolve) => {
  window.conns = [];
  let ready = 0;
  for (let i = 0; i < n; i++) {
    const c = Realtime.connect({transport});
    c.on('connect', () => c.emit('join', 'load', () => { if (++ready === n) resolve(ready); }));
    window.conns.push(c);
  }
  const started = Date.now();
  setInterval(() => {
    const swell = 0.55 + 0.45 * Math.sin((Date.now() - started) / 2500);
    window.conns.forEach((c) => { if (c.connected && Math.random() < swell) c.emit('to_room', 'load', {x: 1}); });
  }, 100);
})"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def serve(transport):
    command, args = ("rungevent", []) if transport == "socketio" else ("runsocket", ["--django"])
    return LiveServer(command, args=args, extra_apps=["realtime.tests.testapp"])


def staff_page(browser, server, transport, **context_options):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **context_options)
    cookies = server.login("dash-staff", is_staff=True)
    context.add_cookies([{"name": k, "value": v, "url": server.url} for k, v in cookies.items()])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def figure(page, id_):
    return page.text_content(f"#{id_}")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dashboard_goes_live_and_shows_the_traffic(browser, transport):
    with serve(transport) as server:
        page, errors = staff_page(browser, server, transport)
        page.goto(f"{server.url}/realtime/?transport={transport}")
        page.wait_for_selector("#status[data-state=live]")
        assert transport in figure(page, "status")

        load = browser.new_context().new_page()
        load.set_default_timeout(TIMEOUT)
        load.goto(f"{server.url}/testapp/realtime?transport={transport}")
        assert load.evaluate(TRAFFIC, [transport, SOCKETS]) == SOCKETS

        # The room and its members, the connections (the traffic's and the dashboard's own).
        page.wait_for_function(
            "n => [...document.querySelectorAll('#rooms tbody tr')]"
            ".some(tr => tr.cells[0].textContent === 'load' && tr.cells[1].textContent === String(n))",
            arg=SOCKETS,
        )
        page.wait_for_function(
            "n => Number(document.getElementById('f-connections').textContent) >= n", arg=SOCKETS + 1
        )
        # Rates: every emit to the room comes in once and goes out to its six members.
        page.wait_for_function("() => Number(document.getElementById('f-in').textContent) > 3")
        page.wait_for_function("() => Number(document.getElementById('f-out').textContent) > 15")
        assert figure(page, "f-processes") == "1"
        assert page.locator("#processes tbody tr").count() == 1
        row = page.locator("#processes tbody tr").first.locator("td").all_text_contents()
        assert transport in row[1] and int(row[2]) >= SOCKETS + 1 and row[7].startswith("up")
        page.wait_for_timeout(15_000)  # a few swells on the chart
        points = page.evaluate("window.dashboard.points.map(p => [p.messages_in, p.messages_out])")
        assert len(points) >= 15 and max(out for _, out in points) > 15
        screenshots(page, f"dashboard-{transport}")
        assert errors == []
        page.context.close()
        load.context.close()


def test_dashboard_falls_back_to_polling_when_its_socket_is_blocked(browser):
    transport = TRANSPORTS[0]
    with serve(transport) as server:
        page, errors = staff_page(browser, server, transport)
        page.route("**/socket.io/**", lambda route: route.abort())
        page.route("**/sockjs/**", lambda route: route.abort())
        page.goto(f"{server.url}/realtime/?transport={transport}")
        page.wait_for_selector("#status[data-state=polling]", timeout=30_000)
        assert "stats.json" in figure(page, "status")
        # The figures keep coming: a socket connected from elsewhere shows up through polling.
        load = browser.new_context().new_page()
        load.set_default_timeout(TIMEOUT)
        load.goto(f"{server.url}/testapp/realtime?transport={transport}")
        load.evaluate(TRAFFIC, [transport, 2])
        page.wait_for_function(
            "() => [...document.querySelectorAll('#rooms tbody tr')].some(tr => tr.cells[0].textContent === 'load')"
        )
        assert errors == []
        page.context.close()
        load.context.close()
