import pytest


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), one per test module."""
    from realtime.testing.browser import chromium

    with chromium() as b:
        yield b
