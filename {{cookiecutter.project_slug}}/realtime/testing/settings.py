"""Settings for a ``LiveServer`` child: the project's, plus test apps.

``REALTIME_TEST_BASE_SETTINGS`` names the project's settings module and
``REALTIME_TEST_EXTRA_APPS`` lists apps to add (comma-separated), such as
``realtime.tests.testapp`` whose receivers report what the server saw.
``REALTIME_TEST_SETTINGS`` (a JSON object) sets more settings for one
test's servers, e.g. ``{"REALTIME_PRESENCE_TTL": 3}``.
"""

import json
import os
from importlib import import_module

_base = import_module(os.environ.get("REALTIME_TEST_BASE_SETTINGS") or os.environ["REALTIME_PROJECT_SETTINGS"])
globals().update({k: v for k, v in vars(_base).items() if k.isupper()})

globals().update(json.loads(os.environ.get("REALTIME_TEST_SETTINGS") or "{}"))

# An extra app the project already installs is not added twice.
INSTALLED_APPS = [*_base.INSTALLED_APPS] + [
    a for a in os.environ.get("REALTIME_TEST_EXTRA_APPS", "").split(",") if a and a not in _base.INSTALLED_APPS
]

if "realtime.tests.testapp" in INSTALLED_APPS:
    # The test app's views (realtime.emit from a view, ...) sit in front of the project's URLs.
    REALTIME_TEST_BASE_URLCONF = ROOT_URLCONF  # noqa: F821 - set by the project's settings
    ROOT_URLCONF = "realtime.tests.testapp.urls"
