from django.apps import AppConfig, apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime"

    def ready(self):
        checks.register(check_settings, "realtime")
        from realtime import dashboard  # noqa: F401 - connects the live dashboard's receivers
        # Client-signal URLs are endpoints of every transport: import their
        # classes (so listen/broadcast declarations run) and register them in
        # every process. A bad setting is reported by the check and at start.
        from realtime import clientsignal

        if apps.is_installed("django.contrib.auth"):
            # Logout, deactivation, password change: close the user's sockets everywhere.
            from realtime import revocation

            revocation.connect()
        try:
            clientsignal.setup()
        except ImproperlyConfigured:
            pass
        # Under manage.py rundev: one log line per socket connect/disconnect.
        from realtime import devlog

        devlog.install()


def check_settings(app_configs=None, **kwargs):
    """``manage.py check`` reports a bad realtime setting the way start-up would."""
    from realtime import clientsignal, conf

    try:
        conf.check_all()
        clientsignal.setup()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="realtime.E001")]
    return []
