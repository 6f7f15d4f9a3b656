"""HTTP endpoints of the realtime app: health, and the staff-only live dashboard."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from realtime import dashboard, stats
from realtime.registry import connected_sockets


@never_cache
def healthz(request):
    """Liveness for HAProxy's ``option httpchk`` and for tests: 200 while serving."""
    return JsonResponse({"status": "ok", "connections": len(connected_sockets)})


def gather_stats():
    """Every process's figures (kept under this name for code written against the old stats page)."""
    return stats.gather()


@never_cache
def stats_json(request):
    """``/realtime/stats.json``: the dashboard's figures, for staff (403 otherwise)."""
    if not dashboard.is_staff(getattr(request, "user", None)):
        return JsonResponse({"error": "forbidden", "message": "staff only: log in as a staff user"}, status=403)
    return JsonResponse(stats.gather())


@never_cache
@staff_member_required
def dashboard_page(request):
    """``/realtime/``: the live dashboard (staff only; others go to the admin's login)."""
    data = stats.gather()
    config = {
        "statsUrl": reverse("realtime:stats_json"),
        "watchEvent": dashboard.WATCH,
        "statsEvent": dashboard.EVENT,
        "interval": dashboard.INTERVAL,
        "windowSeconds": 300,
    }
    return render(
        request,
        "realtime/dashboard.html",
        {"data": data, "config": config, "totals": data["totals"]},
    )
