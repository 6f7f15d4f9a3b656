"""The chat page works under the Content-Security-Policy (issue 16, point 11), on each transport."""

from realtime.tests.browser.test_csp_browser import Page, assert_clean, browser, server  # noqa: F401 - fixtures


def test_chat_page_works_under_the_policy(browser, server):  # noqa: F811 - the fixtures above
    server.manage("shell", "-c", "from chat.models import Room\nRoom.objects.get_or_create(name='csp')")
    page = Page(browser, server, f"/chat/csp/?transport={server.transport}", cookies=server.login("csp-ann"))
    page.page.wait_for_selector("#text:enabled")
    page.page.fill("#text", "hello under a CSP")
    page.page.press("#text", "Enter")
    page.page.wait_for_selector("#messages .msg .text:text('hello under a CSP')")
    assert page.page.locator("#messages .msg .verified").count() >= 1  # a logged-in user's badge
    assert_clean(page)
    page.close()
