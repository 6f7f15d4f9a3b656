"""The markdown table of a benchmark run: medians with min-max, ratios, and who was busy.

Every figure is the median of the repetitions, with the range in parentheses
when there was more than one. Ratios divide medians: to the bare library the
row is built on (same bus where the library has one) and to Django Channels.
"""

import statistics

from servers import KINDS


def _values(runs, path):
    out = []
    for run in runs:
        value = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)):
            out.append(value)
    return out


def median(runs, *path):
    values = _values(runs, path)
    return statistics.median(values) if values else None


def _num(value, unit=""):
    if value is None:
        return "n/a"
    if unit == "k":
        return f"{value / 1000:.1f}k" if value < 10_000 else f"{value / 1000:.0f}k"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(runs, *path, unit=""):
    """``median (min–max)`` of one figure over the repetitions."""
    values = _values(runs, path)
    if not values:
        return "n/a"
    text = _num(statistics.median(values), unit)
    if len(values) > 1:
        text += f" ({_num(min(values), unit)}–{_num(max(values), unit)})"
    return text


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def delivered(runs):
    """``delivered/expected`` over the burst and steady phases of every repetition."""
    got = sum(_values(runs, ("burst", "delivered")) + _values(runs, ("steady", "delivered")))
    want = sum(_values(runs, ("burst", "expected")) + _values(runs, ("steady", "expected")))
    errors = sum(_values(runs, ("error_count",)))
    text = "all" if got == want and want else f"{got:,}/{want:,}"
    if any(r.get(phase, {}).get("cut_by_drain_deadline") for r in runs for phase in ("burst", "steady")):
        drain = max(r.get("drain_seconds", 15) for r in runs if "fatal" not in r)
        text += f" (saturated: the rest still arriving {drain:g} s after the last send)"
    failed = sum(1 for r in runs if "fatal" in r)
    if failed:
        text += f", {failed} run(s) failed"
    return text + (f", {errors} errors" if errors else "")


HEADER = (
    "| server | N | burst deliveries/s | burst x bare | burst x Channels | p50 / p99 ms at {rate:g} msg/s "
    "| ack p50 / p99 ms, 1 client | ack p50 / p99 ms, {parallel} at once | connect+join p50 ms (all N, s) "
    "| KB per idle connection | server µs CPU per delivery (burst) | CPU busy in the burst: server / load generator "
    "| delivered |\n" + "|---" * 13 + "|"
)


def table(results, kinds, sizes, rate, parallel):
    """``results[(kind, n)]`` is the list of the load generator's JSON outputs."""
    lines = [HEADER.format(rate=rate, parallel=parallel)]
    for n in sizes:
        channels = median(results.get(("channels", n), []), "burst", "per_s")
        for name in kinds:
            runs = results.get((name, n), [])
            kind = KINDS[name]
            burst = median(runs, "burst", "per_s")
            bare_name = kind.bare if kind.bare in kinds else None
            if kind.bare and not bare_name and kind.bare.endswith("-redis") and kind.bare[:-6] in kinds:
                bare_name = kind.bare[:-6]  # no Redis row of the bare library in this run: compare with its memory row
            bare_runs = results.get((bare_name, n), []) if bare_name else []
            bare = median(bare_runs, "burst", "per_s")
            cost = ratio(*(median(r, "burst", "server_us_per_delivery") for r in (runs, bare_runs)))
            for run in runs:  # the server's CPU over the burst's wall time (older results lack it)
                b = run.get("burst") or {}
                if "server_busy" not in b and b.get("server_us_per_delivery") is not None and b.get("per_s"):
                    b["server_busy"] = b["server_us_per_delivery"] * b["per_s"] / 1e6
            busy = (f"{_num(_pct(median(runs, 'burst', 'server_busy')))} / "
                    f"{_num(_pct(median(runs, 'burst', 'loadgen_busy')))} %")
            lines.append(
                "| " + " | ".join([
                    kind.label or name,
                    f"{n:,}",
                    cell(runs, "burst", "per_s", unit="k"),
                    f"{ratio(burst, bare)}, CPU per delivery {cost} ({bare_name})" if bare_name else "—",
                    ratio(burst, channels) if name != "channels" and "channels" in kinds else "—",
                    f"{cell(runs, 'steady', 'latency_ms', 'p50')} / {cell(runs, 'steady', 'latency_ms', 'p99')}",
                    f"{cell(runs, 'ack_one', 'latency_ms', 'p50')} / {cell(runs, 'ack_one', 'latency_ms', 'p99')}",
                    f"{cell(runs, 'ack_many', 'latency_ms', 'p50')} / {cell(runs, 'ack_many', 'latency_ms', 'p99')}",
                    f"{cell(runs, 'connect', 'p50')} ({_num(median(runs, 'connect', 'all_seconds'))})",
                    cell(runs, "kb_per_connection"),
                    cell(runs, "burst", "server_us_per_delivery"),
                    busy,
                    delivered(runs),
                ]) + " |"
            )
    return "\n".join(lines)


def _pct(value):
    return None if value is None else value * 100
