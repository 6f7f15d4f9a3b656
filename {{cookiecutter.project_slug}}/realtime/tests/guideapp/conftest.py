"""Only for this copy of the guide: its live servers install the guide's app.

An app made with ``startapp`` is in ``INSTALLED_APPS`` already, so its own
tests need nothing like this; this folder is not, to keep ``shout`` out of
the project's real URLs and admin.
"""

import os

import pytest

APP = "realtime.tests.guideapp"


@pytest.fixture(scope="module", autouse=True)
def guide_app_in_live_servers():
    previous = os.environ.get("REALTIME_TEST_EXTRA_APPS")
    os.environ["REALTIME_TEST_EXTRA_APPS"] = ",".join(filter(None, [previous, APP]))
    yield
    if previous is None:
        os.environ.pop("REALTIME_TEST_EXTRA_APPS", None)
    else:
        os.environ["REALTIME_TEST_EXTRA_APPS"] = previous
