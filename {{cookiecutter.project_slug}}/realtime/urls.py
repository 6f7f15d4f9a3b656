"""Include in the project's urls: ``path("", include("realtime.urls"))``."""

from django.urls import path
from django.views.generic import RedirectView

from realtime import views

app_name = "realtime"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("realtime/", views.dashboard_page, name="dashboard"),
    path("realtime/stats.json", views.stats_json, name="stats_json"),
    # The old static stats page's address leads to the dashboard.
    path("realtime/stats/", RedirectView.as_view(pattern_name="realtime:dashboard"), name="stats"),
]
