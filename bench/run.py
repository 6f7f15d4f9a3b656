#!/usr/bin/env python
"""Room fan-out benchmark: our servers next to the bare libraries, Channels and Node, in one run.

A script, never a timed test (``make bench``; CI runs only ``--smoke``). It
bakes the richest project, then for each repetition, each N and each server
(alternating, so a slow minute of this shared machine hits every row alike):
starts the server pinned to one core, runs the Node load generator
(``bench/loadgen.js``, raw websockets, pinned to another core) and stops the
server. The load generator connects N clients into one room plus a sender,
then measures, in this order: connect+join time and server RSS per idle
connection; ack round trips (one client calling 200 times in a row, then 100
clients calling at once); a burst (messages written back to back, deliveries
per second to the last arrival, server CPU per delivery from /proc); a steady
rate (latency from send to each arrival). Every figure is the median of the
repetitions with min-max; the table goes to stdout and ``--out``.

    python bench/run.py                                # the whole comparison (make bench)
    python bench/run.py --clients 1000 --servers rungevent-memory,socketio-bare --repeat 1
    python bench/run.py --smoke                         # CI: 20 clients, fails if a message is missing
"""

import argparse
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO)]

import report  # noqa: E402
import servers  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="100,1000,3000", help="N values, comma-separated")
    parser.add_argument("--servers", default=",".join(servers.DEFAULT_KINDS),
                        help=f"rows, comma-separated, from: {', '.join(servers.KINDS)}")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (medians and min-max over them)")
    parser.add_argument("--burst-deliveries", type=int, default=100_000,
                        help="first burst of each server, in deliveries: messages = this / N, between 5 and 200")
    parser.add_argument("--burst-seconds", type=float, default=1.5,
                        help="later bursts are sized to last this long at the server's last measured rate")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second in the steady phase")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of the steady phase")
    parser.add_argument("--project", type=Path, help="a baked project to use (default: bake the richest one)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--server-cpus", default="0", help="CPUs for the servers (round-robin over processes)")
    parser.add_argument("--loadgen-cpu", default="1", help="CPU for the load generator")
    parser.add_argument("--out", type=Path, default=BENCH / "results.md", help="markdown file to write")
    parser.add_argument("--smoke", action="store_true",
                        help="CI form: 20 clients, a few messages, one repetition, our servers and the bare "
                             "Python ones; exit 1 if any message or ack is missing")
    parser.add_argument("--rerender", type=Path, metavar="RESULTS_JSON",
                        help="print the table of an earlier run's results.json again (no measuring)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.repeat, args.seconds, args.burst_deliveries = 1, 1.0, 100
        if args.clients == parser.get_default("clients"):
            args.clients = "20"
        if args.servers == parser.get_default("servers"):
            args.servers = ",".join(servers.SMOKE_KINDS)
    args.sizes = [int(n) for n in args.clients.split(",")]
    args.kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    unknown = [k for k in args.kinds if k not in servers.KINDS]
    if unknown:
        parser.error(f"unknown server(s) {', '.join(unknown)}: choose from {', '.join(servers.KINDS)}")
    return args


def burst_messages(args, n, rate):
    """Messages in a burst: enough for ``--burst-seconds`` at the last rate seen (5 to 200).

    200 stays below the point where our servers stop reading the sender (256 of its events waiting:
    backpressure), so a burst measures the fan-out, not the sender being slowed down; 5 keeps a slow
    server's burst a burst, and sizing by the last rate keeps Django Channels from taking minutes per run.
    """
    deliveries = rate * args.burst_seconds if rate else args.burst_deliveries
    return max(5, min(200, -(-int(deliveries) // n)))


def loadgen_config(args, n, started, rate=None):
    burst = burst_messages(args, n, rate)
    plan = dict(burst=burst, rate=args.rate, seconds=args.seconds, ackSerial=200, ackParallel=min(n, 100),
                ackRounds=10)
    if args.smoke:
        plan.update(ackSerial=20, ackRounds=2)
    targets = [{"port": port, "proto": started.kind.proto} for port in started.ports]
    return dict(plan, targets=targets, clients=n, pids=started.pids, clkTck=os.sysconf("SC_CLK_TCK"))


def run_one(args, launcher, name, n, rate=None):
    started = launcher.start(servers.KINDS[name])
    try:
        config = json.dumps(loadgen_config(args, n, started, rate))
        proc = subprocess.run(["taskset", "-c", args.loadgen_cpu, "node", str(BENCH / "loadgen.js"), config],
                              capture_output=True, text=True, timeout=600)
    finally:
        started.stop()
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"fatal": f"load generator exited {proc.returncode}: {proc.stderr[-2000:]}"}


def smoke_failures(name, n, result):
    """What a smoke run must not have: a fatal error, a missing delivery or ack, a protocol error."""
    if "fatal" in result:
        return [f"{name}: {result['fatal']}"]
    problems = []
    for phase in ("warmup", "burst", "steady"):
        got = result[phase]
        if got["delivered"] != got["expected"] or got["duplicates"]:
            problems.append(f"{name} {phase}: {got['delivered']}/{got['expected']} delivered, "
                            f"{got['duplicates']} duplicates; {'; '.join(got['missing'])}")
    for phase in ("ack_one", "ack_many"):
        if result[phase]["calls"] != result[phase]["latency_ms"]["n"]:
            problems.append(f"{name} {phase}: acks missing")
    if result["error_count"]:
        problems.append(f"{name}: {result['error_count']} errors, e.g. {result['errors'][:3]}")
    return problems


def prepare(args, tmp):
    if any(servers.KINDS[k].family == "channels" for k in args.kinds):
        servers.ensure_channels()
    if any(servers.KINDS[k].family == "node" for k in args.kinds):
        servers.ensure_node_socketio()
    project = args.project.resolve() if args.project else bake(tmp / "bake")
    settings = next(p.name for p in project.iterdir() if (p / "settings.py").exists())
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="realtime.testing.settings",
        REALTIME_TEST_BASE_SETTINGS=f"{settings}.settings",
        REALTIME_TEST_EXTRA_APPS="realtime.tests.testapp",
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY="bench-" + "x" * 50,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The sender is the load generator, not an abuser: its 200 serial echoes and bursts of up to
        # 200 messages would hit the per-connection event limit (REALTIME_EVENT_RATE/BURST): off.
        # Its thousands of clients all come from 127.0.0.1: no per-address connection limit either.
        REALTIME_TEST_SETTINGS=json.dumps({"REALTIME_EVENT_RATE": 0, "REALTIME_USER_EVENT_RATE": 0,
                                           "REALTIME_MAX_CONNECTIONS_PER_IP": 0}),
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=project, env=env, check=True)
    return project, env


def bake(out):
    from tests.conftest import bake as bake_template
    from tests.test_generated_suites import SUITES

    return bake_template(out, **SUITES["richest"])


def machine():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.machine())
    return f"{os.cpu_count()} CPUs ({model}), load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"


def rerender(args):
    saved = json.loads(args.rerender.read_text())
    results = {(key.rsplit(" ", 1)[0], int(key.rsplit(" ", 1)[1])): runs for key, runs in saved.items()}
    kinds = list(dict.fromkeys(name for name, _ in results))
    sizes = sorted({n for _, n in results})
    print(report.table(results, kinds, sizes, args.rate, min(100, max(sizes))))
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.rerender:
        return rerender(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers (finally blocks) on kill
    command = ("python bench/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)).strip()
    began, load_before = time.monotonic(), machine()
    with tempfile.TemporaryDirectory(prefix="realtime-bench-") as tmp:
        project, env = prepare(args, Path(tmp))
        launcher = servers.Launcher(project, env, args.redis_url, args.server_cpus.split(","), tmp)
        results, failures, rates = {}, [], {}
        partial = args.out.with_suffix(".json")
        for rep in range(args.repeat):
            for n in args.sizes:
                for name in args.kinds:
                    t0 = time.monotonic()
                    result = run_one(args, launcher, name, n, rates.get(name))
                    results.setdefault((name, n), []).append(result)
                    if (result.get("burst") or {}).get("per_s"):
                        rates[name] = result["burst"]["per_s"]
                    partial.write_text(json.dumps({f"{k} {m}": r for (k, m), r in results.items()}, indent=1))
                    brief = result.get("fatal") or (
                        f"burst {report._num(result['burst']['per_s'], 'k')}/s, steady p50/p99 "
                        f"{report._num(result['steady']['latency_ms']['p50'])}/"
                        f"{report._num(result['steady']['latency_ms']['p99'])} ms, "
                        f"{result['kb_per_connection']:.1f} KB/conn, "
                        f"{report.delivered([result])} delivered")
                    print(f"bench: [{rep + 1}/{args.repeat}] {name} N={n} ({time.monotonic() - t0:.0f} s): {brief}",
                          file=sys.stderr, flush=True)
                    if args.smoke:
                        failures += smoke_failures(name, n, result)
    minutes = (time.monotonic() - began) / 60
    text = render(args, results, command, load_before, minutes)
    print(text)
    args.out.write_text(text + "\n")
    if failures:
        print("bench: SMOKE FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


def render(args, results, command, load_before, minutes):
    versions = ", ".join(f"{k} {v}" for k, v in servers.versions(args.kinds).items())
    return "\n".join([
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC in {minutes:.1f} min: `{command}`",
        "",
        f"Machine: {load_before} at the start, {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end. "
        f"Servers pinned to CPU {args.server_cpus}, load generator (Node, raw sockets) to CPU {args.loadgen_cpu}; "
        f"Redis unpinned. Versions: {versions}.",
        "",
        "N clients in one room plus a sender. Burst: 5-200 messages back to back, sized to last "
        f"~{args.burst_seconds:g} s at the server's last measured rate (first run: {args.burst_deliveries:,} / N); "
        f"steady: {args.rate:g} msg/s for {args.seconds:g} s (latency = arrival - send, one clock). "
        "Ours run the realtime test app's receivers "
        "(`join`, `to_room` -> `realtime.emit(room=...)`, `echo`): no nickname, no database write per message. "
        f"Medians of {args.repeat} with (min–max).",
        "",
        report.table(results, args.kinds, args.sizes, args.rate, min(100, max(args.sizes))),
    ])


if __name__ == "__main__":
    sys.exit(main())
