from django.apps import AppConfig


class PgAppConfig(AppConfig):
    name = "realtime.tests.pgapp"
    label = "realtime_pgapp"

    def ready(self):
        from realtime.tests.pgapp import receivers  # noqa: F401
