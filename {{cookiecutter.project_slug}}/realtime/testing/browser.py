"""Headless Chromium for browser tests: Playwright driving the system's browser.

Playwright's own browser download is not needed (and cannot work on machines
without internet): Debian's ``chromium`` package is used, or the path in
``CHROMIUM``. A missing browser skips the test on your machine and fails it
in CI (:mod:`realtime.testing.needs`)::

    from realtime.testing.browser import chromium

    def test_page(live_server):
        with chromium() as browser:
            page = browser.new_page()
            page.goto(live_server.url + "/chat/")
"""

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Headless Chromium as root on a machine with a closed network: no sandbox, no
#: GPU, and none of the background requests that would be refused.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    """``CHROMIUM``, or the ``chromium`` on PATH, or None."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_path() -> str:
    """``CHROMIUM``, or the ``chromium`` on PATH; raises if there is none."""
    path = find_chromium()
    if not path:
        raise RuntimeError("no chromium found: install Debian's chromium package or set CHROMIUM=/path/to/it")
    return path


def launch(playwright: Any) -> Any:
    """A Chromium browser from a running ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Start Playwright and Chromium for the block; both are closed after it.

    In a test without Chromium installed, the test is skipped with the reason
    (failed in CI): see :mod:`realtime.testing.needs`.
    """
    from playwright.sync_api import sync_playwright

    from realtime.testing.needs import need_chromium

    need_chromium()

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def artifacts_dir() -> Path:
    """Where browser tests leave screenshots for a person to look at.

    ``REALTIME_ARTIFACTS_DIR``, or ``artifacts/`` in the project (git-ignored).
    """
    from django.conf import settings

    path = Path(os.environ.get("REALTIME_ARTIFACTS_DIR") or Path(settings.BASE_DIR) / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(page: Any, name: str) -> Path:
    """Save what ``page`` shows as ``<artifacts>/<name>.png``; returns the path."""
    path = artifacts_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


#: The sizes pages are looked at in: a phone (an iPhone 12-15's CSS pixels) and a laptop.
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def screenshots(page: Any, name: str, settle_ms: int = 400) -> list[Path]:
    """``<name>-desktop.png`` and ``<name>-phone.png``: ``page`` at both sizes; returns the paths.

    The page's viewport is put back afterwards; ``settle_ms`` lets the layout
    (and anything drawn on resize) settle before each shot.
    """
    before = page.viewport_size
    paths = []
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(settle_ms)
        paths.append(screenshot(page, f"{name}-{label}"))
    if before:
        page.set_viewport_size(before)
    return paths
