"""URLs of {{ cookiecutter.project_slug }}: the landing page, the admin, the realtime app and the examples."""

from django.apps import apps
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from {{ cookiecutter.project_slug }} import views

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page says; the pages link the SVG.
    path("favicon.ico", RedirectView.as_view(url=static("site/favicon.svg"))),
    path("admin/", admin.site.urls),
    path("", include("realtime.urls")),
]

# Each example is mounted when its app is installed, so removing an example
# is one line in INSTALLED_APPS (and deleting its folder).
for example in views.EXAMPLES:
    if apps.is_installed(example.app):
        urlpatterns.append(path(example.prefix, include(f"{example.app}.urls")))
