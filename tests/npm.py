"""The official JavaScript clients, installed from the npm registry for a test run.

``npm_install(directory, *specs)`` installs packages (``"socket.io-client@4.8"``)
into ``directory`` and returns its ``node_modules`` path, so a test can run a
Node script against a baked project with the same client a browser loads.
Without ``npm`` the test is skipped with the reason; in CI (``CI`` set) a
missing ``npm`` is a failure instead, since CI must run every test.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def require_node():
    """Skip (or, in CI, fail) when node or npm is not on PATH."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not found: install Node.js 18+ to run the official-client tests"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def npm_install(directory, *specs):
    """``npm install specs`` into ``directory`` (created); returns its ``node_modules``."""
    require_node()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text('{"name": "official-clients", "private": true}\n')
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *specs],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"npm install {' '.join(specs)} failed:\n{result.stdout}\n{result.stderr}"
    return directory / "node_modules"


def run_node(script, *args, cwd, env=None, timeout=120):
    """Run a Node script; returns the finished process (stdout/stderr as text)."""
    return subprocess.run(
        ["node", str(script), *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
