from django.apps import AppConfig


class GuideAppConfig(AppConfig):
    """The guide's app; a ``startapp`` app's config does the same in ``ready()``."""

    name = "realtime.tests.guideapp"
    label = "realtime_guideapp"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the receivers
