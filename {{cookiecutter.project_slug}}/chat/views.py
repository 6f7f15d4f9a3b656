"""The chat's pages. Everything live happens over the socket (``receivers``);
these only render the room list and the room page."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse

from chat import conf, limits
from chat.forms import RoomForm
from chat.models import Room
from realtime import conf as realtime_conf


def transports():
    return realtime_conf.transports()


def rooms(request):
    """List rooms, a page at a time; POST creates one (validated name, limited per hour) and goes there."""
    form = RoomForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        refusal = limits.creation_refusal(request)
        if refusal:
            form.add_error(None, refusal)
        else:
            room = form.save(commit=False)
            room.created_by = request.user if request.user.is_authenticated else None
            room.save()
            limits.count_creation(request)
            return redirect(room)
    page = Paginator(Room.objects.order_by("name"), limits.rooms_per_page()).get_page(request.GET.get("page"))
    # CHAT_ROOM_CREATION = "users": visitors get a login link instead of the form.
    users_only = limits.creation_mode() == "users" and not request.user.is_authenticated
    context = {"rooms": page, "page": page, "form": form, "users_only": users_only}
    if users_only:
        context["login_url"] = login_url(request)
    return render(request, "chat/rooms.html", context)


def room(request, name):
    room = get_object_or_404(Room, name=name)
    if room.private and not request.user.is_authenticated:
        # The page is only a courtesy: the join handler refuses anonymous sockets too.
        return render(request, "chat/private.html", {"room": room, "login_url": login_url(request)}, status=403)
    available = transports()
    transport = request.GET.get("transport")
    if transport not in available:
        transport = available[0]
    config = {
        "room": room.name,
        "transport": transport,
        "user": request.user.get_username() if request.user.is_authenticated else None,
        "maxLength": conf.max_message_length(),
        # the round trip in the header, from the ping/pong example: its SignalSocket and the
        # chat's Realtime.connect() share the page's one connection (README: one connection per page)
        "pingpong": "/pingpong" if apps.is_installed("pingpong") else None,
    }
    return render(
        request,
        "chat/room.html",
        {"room": room, "config": config, "transport": transport, "transports": available if len(available) > 1 else []},
    )


def login_url(request):
    """The project's login page if it has one, else the admin's."""
    url = settings.LOGIN_URL
    if url == "/accounts/login/":
        try:
            url = reverse("admin:login")
        except NoReverseMatch:
            pass
    return f"{url}?{REDIRECT_FIELD_NAME}={request.get_full_path()}"
