"""A missing tool skips its tests on a developer's machine and fails them in CI."""

import pytest

from realtime.testing.needs import need


def test_a_missing_tool_skips_with_its_fix(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-4b1 is not installed: install it"):
        need("no-such-tool-4b1", "install it")


def test_a_missing_tool_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="nothing may skip there"):
        need("no-such-tool-4b1", "install it")


def test_a_present_tool_is_found(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert need("sh", "install a shell").endswith("/sh")
