import pytest


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), one per test module."""
    from realtime.testing.browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture(autouse=True)
def fresh_room_quota():
    """Room creation is counted per client address in the cache: each test starts uncounted."""
    from django.core.cache import cache

    cache.clear()
    yield
