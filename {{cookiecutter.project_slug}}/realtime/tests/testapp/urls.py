from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import include, path

import realtime


def emit_view(request):
    """realtime.emit from a plain Django view, as a user's code would."""
    room = request.GET.get("room") or None
    realtime.emit("from_view", request.GET.get("text", ""), room=room)
    return JsonResponse({"ok": True})


def sockets_view(request):
    """connected_sockets, iterated as in django-realtime's README."""
    return JsonResponse({"sids": [s.session.session_id for s in realtime.connected_sockets]})


def clientsignal_page(request):
    """A page with ``{% clientsignal_js %}`` and ``{% realtime_client_script %}``, for browser tests."""
    from django.template import engines

    page = (
        "{% load clientsignal realtime %}<!DOCTYPE html><html><head><title>signals</title></head><body>"
        "{% clientsignal_js %}{% realtime_client_script %}</body></html>"
    )
    return HttpResponse(engines["django"].from_string(page).render({}, request))


def realtime_page(request):
    """A page with ``{% realtime_client_script %}`` (or ``?tag=socketio``), for the browser tests."""
    from django.template import engines

    tag = (
        "{% load socketio %}{% socketio_client_script %}"
        if request.GET.get("tag") == "socketio"
        else ("{% load realtime %}{% realtime_client_script %}")
    )
    page = "<!DOCTYPE html><html><head><title>realtime</title>" + tag + "</head><body></body></html>"
    return HttpResponse(engines["django"].from_string(page).render({}, request))


def pong_view(request):
    """A broadcast signal sent from a plain Django view (another process, with a networked bus)."""
    from realtime.tests.testapp.clientsignals import pong

    pong.send(sender=None, pong=request.GET.get("text", "from a view"))
    return JsonResponse({"ok": True})


urlpatterns = [
    path("testapp/clientsignal", clientsignal_page),
    path("testapp/pong", pong_view),
    path("testapp/realtime", realtime_page),
    path("testapp/emit", emit_view),
    path("testapp/sockets", sockets_view),
    path("", include(settings.REALTIME_TEST_BASE_URLCONF)),
]
