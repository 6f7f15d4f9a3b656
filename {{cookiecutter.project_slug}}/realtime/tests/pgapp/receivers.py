"""A slow query and a quick one, through the ORM, on the server's pooled connections."""

from django.contrib.auth import get_user_model
from django.dispatch import receiver

from realtime.signals import socket_client_event_by_type as on


@receiver(on["pg_sleep"])
def pg_sleep(sender, request, event, **kwargs):
    """``SELECT pg_sleep(seconds)``: a query that keeps its connection busy, as a slow report would."""
    seconds = float(event.data)
    rows = list(get_user_model().objects.raw("SELECT 1 AS id, pg_sleep(%s) AS slept", [seconds]))
    return len(rows)


@receiver(on["pg_ping"])
def pg_ping(sender, request, event, **kwargs):
    """A quick query: the event other clients send while someone's query sleeps."""
    get_user_model().objects.filter(pk=-1).exists()
    return event.data
