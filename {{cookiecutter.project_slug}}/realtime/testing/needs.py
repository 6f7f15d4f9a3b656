"""Tools some tests need from the machine, such as Chromium for the browser tests.

On your machine a missing tool skips the tests that need it, with the reason
and the fix (``make test`` prints them: pytest's ``-rs``), so ``make test``
works before you install them. In CI (``CI`` set, as every CI service does)
a missing tool fails those tests instead: CI installs everything and must
run every test, and a skip there would hide a broken setup.
"""

import os
import shutil


def need(tool: str, fix: str, path: str | None = None) -> str:
    """``path`` (or ``tool`` on PATH); skips the calling test when missing, fails it in CI."""
    found = path or shutil.which(tool)
    if found:
        return found
    import pytest

    reason = f"{tool} is not installed: {fix}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI runs every test: nothing may skip there)")
    pytest.skip(reason)


def need_chromium() -> str:
    from realtime.testing.browser import find_chromium

    return need("chromium", "apt-get install chromium, or set CHROMIUM=/path/to/chrome", find_chromium())
