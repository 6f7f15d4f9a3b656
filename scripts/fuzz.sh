#!/usr/bin/env bash
# The full fuzz run (issue 13, point 3): bake the default project (both transports) and run its
# two fuzz suites with many cases per strategy against live servers; print one FUZZ line per
# strategy (cases, outcomes, checks, RSS) and the total. CI runs the same tests with 100 cases.
#
#   scripts/fuzz.sh [cases per strategy, default 1000]
#   PYTHON=.venv/bin/python REALTIME_FUZZ_SEED=123 scripts/fuzz.sh 5000
#
# Needs the template's requirements (requirements-dev.txt) in $PYTHON's environment.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-1000}
python=${PYTHON:-python3}
out=$(mktemp -d /tmp/realtime-fuzz.XXXXXX)
trap 'rm -rf "$out"' EXIT

"$python" -m cookiecutter . --no-input -o "$out" -f >/dev/null
cd "$out/realtime_site"
started=$(date +%s)
set +e
REALTIME_FUZZ_EXAMPLES=$cases "$python" -m pytest -q -s -p no:cacheprovider -o addopts= --timeout 7200 \
    realtime/tests/live/test_socketio_fuzz.py realtime/tests/live/test_sockjs_fuzz.py >"$out/pytest.log" 2>&1
status=$?
set -e
grep -o 'FUZZ .*' "$out/pytest.log" || true
total=$(grep -o 'FUZZ [a-z]* [^:]*: [0-9]* cases' "$out/pytest.log" | awk '{s += $(NF-1)} END {print s + 0}')
echo "fuzz: ${total} cases in $(( $(date +%s) - started ))s; pytest: $(tail -n 1 "$out/pytest.log")"
if [ "$status" != 0 ]; then
    grep -E '^(FAILED|ERROR) |AssertionError' "$out/pytest.log" | head -20
fi
exit "$status"
