from django.apps import AppConfig


class PingPongConfig(AppConfig):
    name = "pingpong"
    verbose_name = "Ping/pong"

    def ready(self):
        from pingpong import receivers  # noqa: F401
