"""Every page we serve has a Content-Security-Policy, and still works under it in Chromium.

Issue 16, point 11. Each page is loaded in headless Chromium on each
transport; the test listens to the console (Chromium reports each CSP
violation there: "Refused to ...") and to ``securitypolicyviolation``
events, and fails on any. The examples are driven, not just loaded: a chat
message is sent and shown (with the logged-in user's badge), a ping gets its
pong (``chat/tests/test_chat_csp_browser.py``,
``pingpong/tests/test_pingpong_csp_browser.py`` use the fixtures here). A
control injects an inline script and sees it refused, so the listeners can
see a violation when there is one.
"""

import pytest
from realtime import conf
from django.test import override_settings

from realtime.testing import LiveServer
from realtime.testing.browser import chromium

TRANSPORTS = conf.transports()
TIMEOUT = 20_000  # ms: generous for a shared 2-core machine
COMMAND = {"socketio": ("rungevent", []), "sockjs": ("runsocket", ["--django"])}
RECORD_VIOLATIONS = """() => {
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation',
    e => cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
}"""


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module", params=TRANSPORTS)
def server(request):
    command, args = COMMAND[request.param]
    with LiveServer(command, args=args) as live:
        live.transport = request.param
        yield live


class Page:
    """A page with its console and CSP violations recorded from the first byte."""

    def __init__(self, browser, server, path, cookies=None, status=200):
        self.context = browser.new_context()
        if cookies:
            self.context.add_cookies([{"name": k, "value": v, "url": server.url} for k, v in cookies.items()])
        self.context.add_init_script(f"({RECORD_VIOLATIONS})()")
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.console, self.errors = [], []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.response = self.page.goto(server.url + path)
        assert self.response.status == status, (path, self.response.status)

    @property
    def policy(self):
        return self.response.headers.get("content-security-policy", "")

    def violations(self):
        reported = [line for line in self.console if "Content Security Policy" in line or "Refused to" in line]
        return reported + self.page.evaluate("window.cspViolations")

    def close(self):
        self.context.close()


def assert_clean(page):
    assert "default-src 'self'" in page.policy and "frame-ancestors" in page.policy, page.policy
    assert page.response.headers.get("x-frame-options") == "DENY"
    assert page.violations() == [] and page.errors == [], (page.violations(), page.errors)


def test_landing_page(browser, server):
    page = Page(browser, server, "/")
    # the site's stylesheet applied (site.css sets "font: ... system-ui, ..." on body)
    assert "system-ui" in page.page.evaluate("getComputedStyle(document.body).fontFamily")
    assert_clean(page)
    page.close()


def test_debug_error_pages_are_sent_without_the_policy(browser, server):
    """DEBUG's technical 404 is all inline styles: it must stay readable in development."""
    page = Page(browser, server, "/no-such-page/", status=404)
    assert "DEBUG = True" in page.page.content(), "the test servers run with the generated .env (DEBUG=true)"
    assert page.policy == "" and page.violations() == []
    assert "Times" not in page.page.evaluate("getComputedStyle(document.body).fontFamily")  # its style applied
    page.close()


def test_the_projects_own_error_page_gets_the_policy(client, db):
    with override_settings(DEBUG=False):
        response = client.get("/no-such-page/")
    assert response.status_code == 404 and "default-src 'self'" in response["Content-Security-Policy"]
    assert b"<style" not in response.content and b"<script>" not in response.content  # nothing inline to refuse


def test_the_staff_dashboard_goes_live_under_the_policy(browser, server):
    cookies = server.login("csp-staff", is_staff=True)
    page = Page(browser, server, f"/realtime/?transport={server.transport}", cookies=cookies)
    page.page.wait_for_selector("#status[data-state=live]")  # its script ran and its socket opened
    assert "system-ui" in page.page.evaluate("getComputedStyle(document.body).fontFamily")
    assert_clean(page)
    page.close()


def test_an_injected_inline_script_is_refused_and_seen(browser, server):
    page = Page(browser, server, "/")
    page.page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
                       "document.body.appendChild(s); }")
    # a function, not an expression: Playwright polls an expression with eval, which the policy refuses
    page.page.wait_for_function("() => window.cspViolations.length > 0")
    assert page.page.evaluate("window.ran") is None
    assert any("script-src" in v for v in page.violations())
    page.close()
