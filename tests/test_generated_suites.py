"""The generated project's own test suite passes, for the combinations that matter most.

Richest: both transports, supervised Redis, both examples, supervisor, HAProxy,
two processes. The two minimal ones: one transport alone, no Redis, no
examples, no deploy files (so nothing in realtime/ may lean on the other
transport or on Redis). The socketio-only one is baked with a hostile name
(quotes, a backslash, non-ASCII letters) to show such a name changes nothing.
Each suite runs as a user would run it: ``python -m pytest`` at the project
root, with this venv's Python. The richest suite is cut into shards (its test
files dealt round-robin, so every file runs exactly once) that pytest-xdist
spreads over the CI machine's cores next to the other template tests.
"""

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import bake, child_env

SUITES = {
    "richest": dict(transport="both", redis="supervised", include_chat_example=True, include_pingpong_example=True,
                    use_supervisor=True, use_haproxy=True, socket_processes=2),
    "socketio-minimal": dict(project_name='Zoë\'s "Ünïcode" \\ Site', transport="socketio", redis="none",
                             include_chat_example=False, include_pingpong_example=False, use_supervisor=False,
                             use_haproxy=False, socket_processes=1),
    "sockjs-minimal": dict(transport="sockjs", redis="none", include_chat_example=False,
                           include_pingpong_example=False, use_supervisor=False, use_haproxy=False,
                           socket_processes=1),
}
# pytest's last line: "12 passed, 1 warning in 3.21s" (-q) or "=== 12 passed in 3.21s ===".
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|errors?|skipped|deselected).*?|no tests ran) in [0-9.]+s", re.M)


#: How many shards each suite is cut into.
SHARDS = {"richest": 4, "socketio-minimal": 1, "sockjs-minimal": 1}
RUNS = [(name, shard) for name in SUITES for shard in range(SHARDS[name])]


def shard_files(project, name, shard):
    """The test files of ``shard``: every ``shard``-th of the project's sorted test files."""
    found = [*project.rglob("test_*.py"), *project.rglob("tests.py")]
    files = sorted(p.relative_to(project).as_posix() for p in found)
    assert files, f"{name}: no test files in {project}"
    return files[shard :: SHARDS[name]]


@pytest.mark.timeout(1500)
@pytest.mark.parametrize(("name", "shard"), RUNS, ids=[f"{name}-{shard + 1}of{SHARDS[name]}" for name, shard in RUNS])
def test_generated_suite_passes(tmp_path, name, shard):
    project = bake(tmp_path, **SUITES[name])
    files = shard_files(project, name, shard) if SHARDS[name] > 1 else []
    env = child_env(REALTIME_ARTIFACTS_DIR=str(tmp_path / "artifacts"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *files],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,
    )
    output = result.stdout + result.stderr
    summary = SUMMARY.findall(output)
    last = summary[-1] if summary else "no summary"
    print(f"{name}: {last}")
    failures = "\n".join(line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR ")))
    assert result.returncode == 0, f"{name}: {last}\n{failures}\n...\n{output[-6000:]}"
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", last)}
    assert counts.get("passed", 0) > 0 and not counts.get("failed"), last
    if os.environ.get("CI"):  # CI installs every service the suites need: nothing may skip there
        assert not counts.get("skipped"), last
