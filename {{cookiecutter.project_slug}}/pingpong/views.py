from django.conf import settings
from django.shortcuts import render


def index(request):
    available = list(getattr(settings, "REALTIME_TRANSPORTS", ["socketio"]))
    transport = request.GET.get("transport")
    if transport not in available:
        transport = available[0]
    return render(
        request,
        "pingpong/index.html",
        {
            "config": {"transport": transport, "url": "/pingpong"},
            "transport": transport,
            "transports": available if len(available) > 1 else [],
        },
    )
