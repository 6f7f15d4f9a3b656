"""``realtime.conf`` is the one reader of the app's settings.

A default written in two places drifts (``REALTIME_TRANSPORTS`` once had
four different defaults); the scan below fails, naming file and line, when
any module other than ``conf`` (and the client-signal checks it delegates
to) reads a ``REALTIME_*`` or ``CLIENTSIGNAL_*`` setting itself.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from realtime import conf

#: Allowed to read settings: the settings module, the client-signal checks it delegates to (and this scan).
READERS = {"realtime/conf.py", "realtime/clientsignal/settings.py", "realtime/tests/unit/test_conf_unit.py"}
#: Modules still reading their own settings, owned by other work in progress: route each through
#: ``conf`` (its accessor exists) and delete the line. The test fails when a line here is stale.
NOT_YET_ROUTED: set[str] = set()
#: ``getattr(settings, "REALTIME_X"...)`` and ``settings.REALTIME_X``; ``REALTIME_TEST_*`` are the test harness's own.
READ = re.compile(r"""(getattr\(\s*settings\s*,\s*["']|settings\.)(REALTIME|CLIENTSIGNAL)_(?!TEST_)\w+""")


def project_modules():
    """Every Python file of the project's packages (not the venv, caches or artifacts)."""
    base = Path(settings.BASE_DIR)
    for package in sorted(p.parent for p in base.glob("*/__init__.py")):
        for path in sorted(package.rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path.relative_to(base).as_posix(), path


def offenders():
    found = {}
    for name, path in project_modules():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if READ.search(line) and name not in READERS:
                found.setdefault(name, []).append(f"{name}:{number}: {line.strip()}")
    return found


def test_only_conf_reads_the_settings():
    found = offenders()
    unexpected = [line for name, lines in found.items() if name not in NOT_YET_ROUTED for line in lines]
    assert not unexpected, "read these through realtime.conf (add an accessor there):\n" + "\n".join(unexpected)


def test_the_not_yet_routed_list_is_current():
    base = Path(settings.BASE_DIR)
    stale = [name for name in NOT_YET_ROUTED if (base / name).exists() and name not in offenders()]
    assert not stale, f"these read their settings through conf now: remove them from NOT_YET_ROUTED: {stale}"


def test_the_scan_sees_a_reader():
    assert READ.search('x = getattr(settings, "REALTIME_TRANSPORTS", ["socketio"])')
    assert READ.search("for t in settings.CLIENTSIGNAL_CONNECTIONS:")
    assert not READ.search("include(settings.REALTIME_TEST_BASE_URLCONF)")
    assert not READ.search('conf.get("REALTIME_CSP")')


def test_transports_default_to_the_installed_ones():
    installed = conf.installed_transports()
    assert installed and set(installed) <= set(conf.KNOWN_TRANSPORTS)
    for name in conf.KNOWN_TRANSPORTS:
        assert (name in installed) == (Path(conf.__file__).parent / "transports" / name).is_dir()
    with override_settings():
        del settings.REALTIME_TRANSPORTS
        assert conf.transports() == installed
    with override_settings(REALTIME_TRANSPORTS=installed[::-1]):
        assert conf.transports() == installed[::-1]


@pytest.mark.parametrize("value", ["socketio", [], ["socketio", "websocket"], 3])
def test_bad_transports_say_what_to_write(value):
    with override_settings(REALTIME_TRANSPORTS=value), pytest.raises(ImproperlyConfigured) as caught:
        conf.transports()
    assert "REALTIME_TRANSPORTS" in str(caught.value) and repr(conf.installed_transports()) in str(caught.value)


def test_socket_urls():
    with override_settings(REALTIME_SOCKETIO_URL="http://127.0.0.1:8001/", REALTIME_SOCKJS_URL=None):
        assert conf.socketio_url() == "http://127.0.0.1:8001"
        assert conf.sockjs_url() is None
    with override_settings(REALTIME_SOCKJS_URL="/sockjs"), pytest.raises(ImproperlyConfigured, match="absolute URL"):
        conf.sockjs_url()


def test_defaults_are_copies():
    with override_settings():
        del settings.CLIENTSIGNAL_CONNECTIONS
        conf.get("CLIENTSIGNAL_CONNECTIONS")["/x"] = "y"
        assert conf.get("CLIENTSIGNAL_CONNECTIONS") == {}


def test_sockjs_thread_counts_are_checked():
    with override_settings(REALTIME_SOCKJS_WORKERS=3, REALTIME_SOCKJS_DJANGO_THREADS=2):
        assert (conf.sockjs_workers(), conf.sockjs_django_threads()) == (3, 2)
    with override_settings(REALTIME_SOCKJS_WORKERS=0), pytest.raises(ImproperlyConfigured, match="SOCKJS_WORKERS"):
        conf.sockjs_workers()
