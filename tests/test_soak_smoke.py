"""The soak's CI form: 50 clients for 30 s through HAProxy on the production stack.

``scripts/soak.py`` bakes the richest project, runs it under supervisord and
HAProxy (``test_production.run_stack``) and chats over raw websockets; it
exits 1 if an acknowledged line did not reach every member of its room or an
RSS or fd series grew after warm-up. The full run (``make soak``: 1,000
clients, 10 minutes) is not CI: its output is quoted in the README.
"""

import re
import subprocess
import sys

import pytest

from tests.conftest import TEMPLATE_DIR, child_env


@pytest.mark.timeout(600)
def test_soak_smoke_loses_nothing_and_stays_flat():
    result = subprocess.run(
        [sys.executable, str(TEMPLATE_DIR / "scripts" / "soak.py"), "--clients", "50", "--minutes", "0.5",
         "--interval", "5", "--sample", "5", "--warmup", "10"],
        cwd=TEMPLATE_DIR, env=child_env(), capture_output=True, text=True, timeout=540,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    summary = re.search(r"(\d+) chat lines acknowledged, (\d+) deliveries of them lost", output)
    assert summary and int(summary.group(1)) > 100 and summary.group(2) == "0", output[-4000:]
    assert "50 of 50 clients joined" in output
    programs = re.findall(r"^  (\S+) +RSS .*, flat [^)]*\), fds .* \(flat [^)]*\)$", output, flags=re.M)
    assert {"haproxy", "redis", "web"} <= set(programs) and len(programs) == 7, output[-4000:]
