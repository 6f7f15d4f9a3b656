from django.apps import AppConfig


class SeedAppConfig(AppConfig):
    name = "realtime.tests.seedapp"
    label = "realtime_seedapp"

    def ready(self):
        from realtime.tests.seedapp import receivers  # noqa: F401
