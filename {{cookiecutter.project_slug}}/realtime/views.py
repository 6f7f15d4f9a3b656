"""HTTP endpoints of the realtime app: health, and the staff-only stats page."""

import time

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from realtime.registry import connected_sockets


@never_cache
def healthz(request):
    """Liveness for HAProxy's ``option httpchk`` and for tests: 200 while serving."""
    return JsonResponse({"status": "ok", "connections": len(connected_sockets)})


def gather_stats():
    """Per process: connections per transport, rooms, messages in/out per second.

    With a networked bus every socket process reports over the bus every few
    seconds (``REALTIME_PRESENCE_TTL`` / 3) and this lists each live one;
    with the in-memory bus it is this process alone.
    """
    from realtime.bus import get_bus

    bus = get_bus()
    now = time.time()
    rows = bus.stats()
    transports = sorted({t for row in rows for t in row.get("transports", [])})
    for row in rows:
        row["age"] = round(max(0.0, now - row.get("time", now)), 1)
        row["this_process"] = row.get("process") == bus.process_id
        row["connection_cells"] = [row.get("connections", {}).get(t, 0) for t in transports]
    totals = {
        "processes": len(rows),
        "connections": sum(row.get("connections_total", 0) for row in rows),
        "connections_by_transport": {t: sum(row.get("connections", {}).get(t, 0) for row in rows) for t in transports},
        "per_second": {
            key: round(sum(row.get("per_second", {}).get(key, 0) for row in rows), 1)
            for key in ("messages_in", "messages_out", "published")
        },
    }
    return {
        "networked": bus.networked,
        "process": bus.process_id,
        "transports": transports,
        "processes": rows,
        "totals": totals,
    }


def _json_rows(data):
    """The JSON shape: the template-only helper fields left out."""
    rows = [{k: v for k, v in row.items() if k != "connection_cells"} for row in data["processes"]]
    return {**data, "processes": rows}


@never_cache
def stats_json(request):
    """``/realtime/stats.json``: the stats page's figures, for staff (403 otherwise)."""
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return JsonResponse({"error": "forbidden", "message": "staff only"}, status=403)
    return JsonResponse(_json_rows(gather_stats()))


@never_cache
@staff_member_required
def stats_page(request):
    """``/realtime/stats/``: one row per process, refreshed every few seconds."""
    return render(request, "realtime/stats.html", gather_stats())
