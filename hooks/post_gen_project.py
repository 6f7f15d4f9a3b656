"""Shape the generated project after cookiecutter wrote it (stdlib only, offline).

Removes every file an answer excluded, writes a git-ignored ``.env`` (mode
0600) with a fresh ``SECRET_KEY`` and, when the production stack needs them,
the supervised Redis's and HAProxy stats page's passwords (never in a tracked
file, so regenerating with cruft gives clean diffs), and prints the next steps. The answers arrive as data (JSON in
a raw string), never pasted into Python source. Paths follow the
conventions in CONTRIBUTING.md: a transport's files are the globs of its entry
in ``realtime/transports/catalog.py`` (the one registry of transports), so a
new file of a transport only needs the right name to be pruned with it (tests live in
``realtime/tests/{unit,live,browser}/``: the ``**`` patterns find them in any tier).

The ``*_PATHS`` rules below and the catalog are the only copy: ``tests/test_bake.py``
reads them from this file, so it must stay valid Python before cookiecutter renders
it (the one Jinja expression sits in a raw string at the bottom).
"""

import json
import os
import runpy
import secrets
import shutil
import sys
from pathlib import Path

#: Where each transport's files are listed (plain data; this hook cannot import Django).
CATALOG = "realtime/transports/catalog.py"
REDIS_PATHS = (
    "realtime/bus/redis*.py",
    "realtime/testing/redis*.py",
    "realtime/bus/publisher.py",
    "realtime/tests/**/test_redis*.py",
    "realtime/tests/**/redis_*.py",
    "chat/tests/test_redis*.py",
)
# What only a PostgreSQL project has: its tests against a real server and their helpers.
POSTGRES_PATHS = (
    "realtime/testing/postgres.py",
    "realtime/tests/**/test_postgres*.py",
    "realtime/tests/**/pgapp",
    "chat/tests/test_postgres*.py",
)


def remove(root, *patterns):
    """Delete every file or directory matching the glob patterns under ``root``."""
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def transport_catalog(root):
    """The project's transport registry (``TRANSPORTS``, ``EVERY_TRANSPORT_FILES``), read as data."""
    return runpy.run_path(str(root / CATALOG))


def prune_transports(root, transport):
    """Remove the files of every transport not chosen (``"both"`` keeps every one)."""
    if not (root / CATALOG).is_file():
        return  # a tree without the realtime app (the hook's own tests): no transport to prune
    catalog = transport_catalog(root)
    chosen = list(catalog["TRANSPORTS"]) if transport == "both" else [transport]
    for name, entry in catalog["TRANSPORTS"].items():
        if name not in chosen:
            remove(root, *entry["files"])
    if len(chosen) < len(catalog["TRANSPORTS"]):
        remove(root, *catalog["EVERY_TRANSPORT_FILES"])


def prune_redis(root, redis):
    if redis == "none":
        remove(root, *REDIS_PATHS)
    if redis != "supervised":
        remove(root, "deploy/redis.conf")


def prune_database(root, database):
    if database != "postgresql":
        remove(root, *POSTGRES_PATHS)


def prune_examples(root, answers):
    if not answers["include_chat_example"]:
        remove(root, "chat")
    if not answers["include_pingpong_example"]:
        remove(root, "pingpong")


def prune_deploy(root, answers):
    if not answers["use_supervisor"]:
        remove(root, "deploy/supervisor.conf", "deploy/run")
    if not answers["use_haproxy"]:
        remove(root, "deploy/haproxy.cfg")
    deploy = root / "deploy"
    if deploy.is_dir() and not any(deploy.iterdir()):
        deploy.rmdir()


def prune_caches(root):
    """Bytecode a developer's run of the template left behind is not part of the project."""
    remove(root, "**/__pycache__", "**/.pytest_cache", "**/.ruff_cache", "**/.mypy_cache")


def secret_key():
    """64 URL-safe characters: nothing a shell, supervisor or a .env parser would interpret."""
    return secrets.token_urlsafe(48)


def dotenv_text(answers):
    """The generated ``.env``: development settings plus the secrets production needs.

    ``DEBUG=true`` is for ``make run``; ``deploy/run`` refuses to start the
    production stack until it is set to false.
    """
    lines = [
        "# Local development settings, read by settings.py (real environment variables win).",
        "# Not committed (.gitignore): see .env.example for every variable.",
        f"SECRET_KEY={secret_key()}",
        "# Development only: deploy/run (production) refuses to start while DEBUG is true.",
        "DEBUG=true",
    ]
    if answers.get("redis") == "supervised":
        lines += ["# The supervised Redis requires it (deploy/run passes it on).", f"REDIS_PASSWORD={secret_key()}"]
    if answers.get("use_haproxy"):
        lines += ["# Login of HAProxy's stats page (127.0.0.1 only).", "HAPROXY_STATS_USER=admin",
                  f"HAPROXY_STATS_PASSWORD={secret_key()}"]
    return "\n".join(lines) + "\n"


def write_dotenv(root, answers):
    """Write ``.env`` readable by its owner only: it holds every secret of the project."""
    path = root / ".env"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file existed with wider permissions
    with os.fdopen(descriptor, "w", encoding="utf-8") as dotenv:
        dotenv.write(dotenv_text(answers))


def close_var(root):
    """var/ (logs, sockets, pid files of the production stack) is for the owner and its group only."""
    if (root / "var").is_dir():
        (root / "var").chmod(0o750)


def next_steps(root, answers):
    print(
        f"\nCreated {answers['project_name']} in {root}\n\n"
        "Next steps:\n"
        f"  cd {root.name}\n"
        "  make run     # venv, install, migrate, then serve http://127.0.0.1:8000/\n"
        "  make test    # the project's tests\n\n"
        "Settings are read from .env (local, not committed) and the environment: see .env.example.\n"
    )


def main(answers, root):
    prune_transports(root, answers["transport"])
    prune_redis(root, answers["redis"])
    prune_database(root, answers["database"])
    prune_examples(root, answers)
    prune_deploy(root, answers)
    prune_caches(root)
    write_dotenv(root, answers)
    close_var(root)
    next_steps(root, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(r'''{{ cookiecutter | tojson }}'''), Path.cwd()))
