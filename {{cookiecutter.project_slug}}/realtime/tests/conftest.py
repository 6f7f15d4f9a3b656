"""Shared fixtures of the realtime app's tests.

Live servers are started once per test session (a child process each) and
shared by the tests of a transport: tests use unique rooms and event data,
so they do not see each other's traffic.
"""

import pytest

from realtime.testing import LiveServer

TEST_APPS = ["realtime.tests.testapp"]


@pytest.fixture(scope="session")
def gevent_server():
    """``manage.py rungevent`` with the test app's receivers, on a free port."""
    with LiveServer("rungevent", extra_apps=TEST_APPS) as server:
        yield server


@pytest.fixture(scope="session")
def legacy_server():
    """``rungevent`` with the django-realtime README's receivers (and the test app's)."""
    with LiveServer("rungevent", extra_apps=["realtime.tests.legacyapp", *TEST_APPS]) as server:
        yield server


SIGNAL_SETTINGS = "realtime.tests.testapp.settings_clientsignal"


@pytest.fixture(scope="session")
def sockjs_server():
    """``manage.py runsocket --django`` with the test app and the test client-signal connections."""
    env = {"DJANGO_SETTINGS_MODULE": SIGNAL_SETTINGS}
    with LiveServer("runsocket", args=["--django"], extra_apps=TEST_APPS, env=env) as server:
        yield server
