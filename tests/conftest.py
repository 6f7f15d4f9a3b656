"""Helpers to bake the template in tests: in-process, fast, isolated.

``bake(output_dir, **answers)`` runs cookiecutter's API the way the CLI does
(answers as extra context, no prompts) with a private config, so replay
files and the cookiecutters cache go to a temporary directory, not ``~``.
It returns the generated project's path. ``combination_answers`` names one
point of the prompt grid; ``run_manage`` runs the project's ``manage.py``
with this venv's Python and the project's own ``.env``.
"""

import importlib.util
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
SLUG_DIR = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
TRANSPORTS = ("both", "socketio", "sockjs")
REDIS_MODES = ("supervised", "external", "none")
BOOLEANS = ("include_chat_example", "include_pingpong_example", "use_supervisor", "use_haproxy")

# Variables a child process must not inherit from the test run.
_CHILD_ENV_DROP = ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID",
                   "PYTEST_CURRENT_TEST", "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")


def hook_rules():
    """The post-gen hook as a module, for its prune rules (``SOCKETIO_PATHS``...): one copy, the hook's.

    The hook is valid Python before rendering (its one Jinja expression is in a raw string
    under ``__main__``), so importing it runs nothing.
    """
    spec = importlib.util.spec_from_file_location("post_gen_rules", TEMPLATE_DIR / "hooks" / "post_gen_project.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_combinations():
    """Every transport x redis x the four booleans (the database alternating): (answers, valid)."""
    for transport, redis, *flags in itertools.product(TRANSPORTS, REDIS_MODES, *[(True, False)] * len(BOOLEANS)):
        answers = {"transport": transport, "redis": redis, **dict(zip(BOOLEANS, flags, strict=True))}
        # One process per transport is the only valid count without a bus between processes.
        answers["socket_processes"] = 1 if redis == "none" else 2
        # The database varies on half the grid, not doubling it (cookiecutter-django style): sqlite
        # when an odd number of the booleans is on, so each transport x redis pair and each value
        # of each boolean is baked with both databases.
        answers["database"] = "sqlite" if sum(flags) % 2 else "postgresql"
        valid = not (redis == "supervised" and not answers["use_supervisor"])
        yield answers, valid


def combination_id(answers):
    flags = "".join("1" if answers[name] else "0" for name in BOOLEANS)
    database = {"postgresql": "-pg", "sqlite": "-sqlite"}.get(answers.get("database"), "")
    return f"{answers['transport']}-{answers['redis']}-{flags}{database}"


def cookiecutter_config(directory):
    """A cookiecutter config file whose replay and cache dirs live in ``directory``."""
    directory = Path(directory)
    path = directory / "cookiecutter-config.yaml"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"cookiecutters_dir: {json.dumps(str(directory / 'cookiecutters'))}\n"
            f"replay_dir: {json.dumps(str(directory / 'replay'))}\n"
        )
    return path


def bake(output_dir, **answers):
    """Generate the project with ``answers`` into ``output_dir``; returns its path."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    project = cookiecutter(
        str(TEMPLATE_DIR),
        no_input=True,
        extra_context=answers,
        output_dir=str(output_dir),
        config_file=str(cookiecutter_config(output_dir / ".cookiecutter")),
    )
    return Path(project)


def child_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_ENV_DROP}
    env.update(extra)
    return env


def run_manage(project, *args, env=None, timeout=120):
    """``python manage.py <args>`` in ``project`` with this venv's Python."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=child_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def baker(tmp_path):
    """``baker(**answers)`` bakes into this test's temporary directory."""
    return lambda **answers: bake(tmp_path / "out", **answers)
