from django.apps import AppConfig


class LegacyAppConfig(AppConfig):
    name = "realtime.tests.legacyapp"
    label = "realtime_legacyapp"

    def ready(self):
        from realtime.tests.legacyapp import receivers  # noqa: F401
