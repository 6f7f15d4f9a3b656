"""How many rooms a visitor may create, and how many rooms a list page shows.

Anyone could create rooms as fast as they could post the form (50 in half
a second), and the room list showed them all on one page. Creation is
counted per hour in Django's cache, per user when logged in, else per
client address (``REMOTE_ADDR``, the client's own behind a trusted proxy:
``realtime.middleware.ForwardedMiddleware``): ``CHAT_ANONYMOUS_ROOMS_PER_HOUR``
(5) and ``CHAT_USER_ROOMS_PER_HOUR`` (50). With the default local-memory
cache each process counts for itself; configure a shared cache (Django's
``CACHES``: the database one, say) to count across processes. The list pages ``CHAT_ROOMS_PER_PAGE``
(50) rooms at a time.
"""

import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("realtime.chat")
WINDOW = 3600  # seconds


def rooms_per_page():
    return int(getattr(settings, "CHAT_ROOMS_PER_PAGE", 50))


def _quota(request):
    if request.user.is_authenticated:
        return f"chat:rooms:user:{request.user.pk}", int(getattr(settings, "CHAT_USER_ROOMS_PER_HOUR", 50))
    address = request.META.get("REMOTE_ADDR", "?")
    return f"chat:rooms:addr:{address}", int(getattr(settings, "CHAT_ANONYMOUS_ROOMS_PER_HOUR", 5))


def creation_refusal(request):
    """Why this visitor may not create another room now, or None."""
    key, limit = _quota(request)
    if (cache.get(key) or 0) < limit:
        return None
    logger.info("chat: room creation refused for %s: %d rooms this hour", key, limit)
    if request.user.is_authenticated:
        return f"You have created {limit} rooms this hour; try again later."
    return f"Visitors may create {limit} rooms an hour; log in, or try again later."


def count_creation(request):
    key, _limit = _quota(request)
    cache.add(key, 0, WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW)
