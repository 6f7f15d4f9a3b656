"""The benchmark's smoke form: every message reaches every client on every server it runs.

``bench/run.py --smoke`` bakes the richest project and runs, with 20 clients
in one room, our ``rungevent`` and ``runsocket`` on the memory bus and the
Redis bus (one process and two), and the bare python-socketio (with and
without its ``RedisManager``) and sockjs-tornado servers, through the Node
load generator (raw websockets). It exits 1 naming each missing delivery or
acknowledgement. Figures are not asserted: a shared CI machine cannot time
anything; ``make bench`` measures. Needs node (see ``tests/npm.py``) and a
Redis on 127.0.0.1:6379 (or ``BENCH_REDIS_URL``), like the other Redis tests.
"""

import subprocess
import sys

import pytest

from tests.conftest import TEMPLATE_DIR, child_env
from tests.npm import require_node


@pytest.mark.timeout(600)
def test_bench_smoke_delivers_every_message(tmp_path):
    require_node()
    out = tmp_path / "results.md"
    result = subprocess.run(
        [sys.executable, str(TEMPLATE_DIR / "bench" / "run.py"), "--smoke", "--out", str(out)],
        cwd=TEMPLATE_DIR,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert result.returncode == 0, f"bench smoke failed:\n{result.stderr[-6000:]}\n{result.stdout[-3000:]}"
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ") and "| 20 |" in line]
    assert len(rows) == 9, f"expected a row per smoke server, got:\n{out.read_text()}"
    assert all(row.endswith("| all |") for row in rows), out.read_text()


def test_smoke_check_names_missing_deliveries_and_acks():
    """The check the smoke run exits 1 on: one message short, one ack short, a protocol error."""
    sys.path.insert(0, str(TEMPLATE_DIR / "bench"))
    try:
        from run import smoke_failures
    finally:
        sys.path.remove(str(TEMPLATE_DIR / "bench"))
    phase = {"delivered": 100, "expected": 100, "duplicates": 0, "missing": []}
    ack = {"calls": 20, "latency_ms": {"n": 20}}
    good = {"warmup": phase, "burst": phase, "steady": phase, "ack_one": ack, "ack_many": ack, "error_count": 0}
    assert smoke_failures("x", 20, good) == []
    short = dict(good, steady=dict(phase, delivered=99, missing=["client 3 (port 1) missed 1"]))
    assert smoke_failures("x", 20, short) == ["x steady: 99/100 delivered, 0 duplicates; client 3 (port 1) missed 1"]
    assert smoke_failures("x", 20, dict(good, ack_many={"calls": 20, "latency_ms": {"n": 19}})) == [
        "x ack_many: acks missing"
    ]
    assert smoke_failures("x", 20, dict(good, error_count=1, errors=["undecodable"]))
    assert smoke_failures("x", 20, {"fatal": "upgrade refused"}) == ["x: upgrade refused"]
