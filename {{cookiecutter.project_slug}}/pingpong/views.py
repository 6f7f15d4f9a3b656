from django.shortcuts import render

from realtime import conf


def index(request):
    available = conf.transports()
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
