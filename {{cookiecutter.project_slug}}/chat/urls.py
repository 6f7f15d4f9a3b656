"""Include in the project's urls: ``path("chat/", include("chat.urls"))``."""

from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.rooms, name="rooms"),
    path("<slug:name>/", views.room, name="room"),
]
