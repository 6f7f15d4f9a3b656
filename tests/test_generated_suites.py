"""The generated project's own test suite passes, for the combinations that matter most.

Richest: both transports, supervised Redis, both examples, supervisor, HAProxy,
two processes. The two minimal ones: one transport alone, no Redis, no
examples, no deploy files (so nothing in realtime/ may lean on the other
transport or on Redis). The socketio-only one is baked with a hostile name
(quotes, a backslash, non-ASCII letters) to show such a name changes nothing.
Each suite runs as a user would run it: ``python -m pytest`` at the project
root, with this venv's Python.
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


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("name", list(SUITES))
def test_generated_suite_passes(tmp_path, name):
    project = bake(tmp_path, **SUITES[name])
    env = child_env(REALTIME_ARTIFACTS_DIR=str(tmp_path / "artifacts"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="],
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
