"""Include in the project's urls: ``path("pingpong/", include("pingpong.urls"))``."""

from django.urls import path

from pingpong import views

app_name = "pingpong"

urlpatterns = [path("", views.index, name="index")]
