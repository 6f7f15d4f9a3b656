"""The ping/pong page works under the Content-Security-Policy (issue 16, point 11), on each transport."""

from realtime.tests.browser.test_csp_browser import Page, assert_clean, browser, server  # noqa: F401 - fixtures


def test_pingpong_page_works_under_the_policy(browser, server):  # noqa: F811 - the fixtures above
    page = Page(browser, server, f"/pingpong/?transport={server.transport}")
    page.page.wait_for_selector("#ping:enabled")
    page.page.click("#ping")
    # selectors, not wait_for_function: Playwright polls a function with eval, which the CSP refuses
    page.page.wait_for_selector("#pongs:text-is('1')")
    assert_clean(page)
    page.close()
