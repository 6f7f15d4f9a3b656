"""Browser tier: headless Chromium (realtime.testing.browser) against live servers."""
