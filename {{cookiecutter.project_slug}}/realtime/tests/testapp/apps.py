from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "realtime.tests.testapp"
    label = "realtime_testapp"

    def ready(self):
        from realtime.tests.testapp import receivers  # noqa: F401
