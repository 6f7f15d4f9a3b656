"""A user's first hour: `manage.py startapp` then `make test` and `make lint`; `make run`'s port.

Django's skeleton names the test module ``tests.py`` and leaves unused
imports in ``admin.py``, ``models.py``, ``views.py`` and ``tests.py``; the
generated ``pyproject.toml`` must collect the one and accept the others, with
no edit by the user. Both are run as the Makefile runs them (the project's own
configuration, no path given), with this venv's Python.
"""

import subprocess
import sys

from tests.conftest import bake, child_env

SHOUT_TEST = '''\
from django.test import TestCase


class ShoutTests(TestCase):
    def test_shout_is_loud(self):
        self.assertEqual("hey".upper() + "!", "HEY!")
'''


def run(project, *args):
    return subprocess.run(
        [sys.executable, *args], cwd=project, env=child_env(), capture_output=True, text=True, timeout=600
    )


def test_a_fresh_startapp_is_tested_and_lints_clean(tmp_path):
    project = bake(tmp_path, transport="sockjs", redis="none", socket_processes=1)
    created = run(project, "manage.py", "startapp", "shout")
    assert created.returncode == 0, created.stderr
    (project / "shout" / "tests.py").write_text(SHOUT_TEST)

    # Collected by the project's own testpaths/python_files: no path on the command line.
    collected = run(project, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q")
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr
    assert "shout/tests.py::ShoutTests::test_shout_is_loud" in collected.stdout, collected.stdout[-3000:]

    # And it runs and passes (the others deselected, to keep this test short).
    ran = run(project, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", "ShoutTests")
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr
    assert "1 passed" in ran.stdout, ran.stdout[-3000:]

    # Django's skeleton files lint clean with the project's ruff configuration...
    lint = run(project, "-m", "ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # ...and a real unused import in them is still reported.
    views = project / "shout" / "views.py"
    views.write_text(views.read_text() + "import os\n")
    lint = run(project, "-m", "ruff", "check", "--no-cache", ".")
    assert lint.returncode == 1 and "F401" in lint.stdout and "shout/views.py" in lint.stdout, lint.stdout


def test_make_run_reloads_and_takes_a_port(tmp_path):
    """``make run`` is ``rundev --reload`` on 127.0.0.1:8000; ``make run PORT=8010`` moves it."""
    project = bake(tmp_path, transport="socketio", redis="none", socket_processes=1)

    def dry_run(*args):
        result = subprocess.run(["make", "-n", "run", *args], cwd=project, env=child_env(), capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "manage.py rundev --reload 127.0.0.1:8000" in dry_run()
    assert "manage.py rundev --reload 127.0.0.1:8010" in dry_run("PORT=8010")
