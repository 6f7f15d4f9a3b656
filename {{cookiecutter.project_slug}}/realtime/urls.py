"""Include in the project's urls: ``path("", include("realtime.urls"))``."""

from django.urls import path

from realtime import views

app_name = "realtime"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("realtime/stats/", views.stats_page, name="stats"),
    path("realtime/stats.json", views.stats_json, name="stats_json"),
]
