"""Who may create rooms, how many an hour, and how many rooms a list page shows.

Anyone could create rooms as fast as they could post the form (50 in half
a second), and the room list showed them all on one page. Creation is
counted per hour in Django's cache:

- ``CHAT_ROOM_CREATION``: ``"anyone"`` (default) or ``"users"`` (logged-in
  users only; visitors are asked to log in);
- a logged-in user may create ``CHAT_USER_ROOMS_PER_HOUR`` (50);
- an anonymous visitor ``CHAT_ANONYMOUS_ROOMS_PER_HOUR`` (5) per client
  address (``REMOTE_ADDR``, the client's own behind a trusted proxy:
  ``realtime.middleware.ForwardedMiddleware``), and all anonymous visitors
  together ``CHAT_ANONYMOUS_ROOMS_SHARED_PER_HOUR`` (50): a quota per address
  alone does not stop someone with many addresses.

With the default local-memory cache each process counts for itself;
configure a shared cache (Django's ``CACHES``: the database one, say) to
count across processes. The list pages ``CHAT_ROOMS_PER_PAGE`` (50) rooms
at a time.

Messages: ``CHAT_RATE_LIMIT`` bounds each connection (``chat.services``);
``CHAT_USER_RATE_LIMIT`` ((10, 5): 10 messages per 5 s) bounds all the
connections of one logged-in user (or one Django session) together, in each
process: ten tabs do not make ten times the messages.
"""

import logging
import threading

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("realtime.chat")
WINDOW = 3600  # seconds
MODES = ("anyone", "users")


def rooms_per_page():
    return int(getattr(settings, "CHAT_ROOMS_PER_PAGE", 50))


def creation_mode():
    mode = getattr(settings, "CHAT_ROOM_CREATION", "anyone")
    if mode not in MODES:
        raise ImproperlyConfigured(f"CHAT_ROOM_CREATION must be one of {', '.join(MODES)} (got {mode!r}).")
    return mode


def _quotas(request):
    """``[(cache key, limit, refusal text)]`` this creation counts against."""
    if request.user.is_authenticated:
        limit = int(getattr(settings, "CHAT_USER_ROOMS_PER_HOUR", 50))
        text = f"You have created {limit} rooms this hour; try again later."
        return [(f"chat:rooms:user:{request.user.pk}", limit, text)]
    address = request.META.get("REMOTE_ADDR", "?")
    own = int(getattr(settings, "CHAT_ANONYMOUS_ROOMS_PER_HOUR", 5))
    shared = int(getattr(settings, "CHAT_ANONYMOUS_ROOMS_SHARED_PER_HOUR", 50))
    return [
        (f"chat:rooms:addr:{address}", own, f"Visitors may create {own} rooms an hour; log in, or try again later."),
        ("chat:rooms:anonymous", shared, "Visitors have created all the rooms they may this hour: log in for more."),
    ]


def creation_refusal(request):
    """Why this visitor may not create another room now, or None."""
    if not request.user.is_authenticated and creation_mode() == "users":
        return "Log in to create a room."
    for key, limit, text in _quotas(request):
        if (cache.get(key) or 0) >= limit:
            logger.info("chat: room creation refused for %s: %d rooms this hour", key, limit)
            return text
    return None


def count_creation(request):
    for key, _limit, _text in _quotas(request):
        cache.add(key, 0, WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW)


_senders = {}  # user or session key -> its RateLimiter (this process)
_senders_lock = threading.Lock()


def user_rate_limit():
    count, seconds = getattr(settings, "CHAT_USER_RATE_LIMIT", (10, 5))
    return int(count), float(seconds)


def user_message_wait(socket):
    """0 if the user (or session) behind ``socket`` may post one more message now, else seconds to wait."""
    from chat.services import RateLimiter
    from realtime.ratelimit import owner_key

    key = owner_key(socket)
    if key is None:  # anonymous, no session: CHAT_RATE_LIMIT per connection only
        return 0
    limit = user_rate_limit()
    with _senders_lock:
        limiter = _senders.get(key)
        if limiter is None or (limiter.count, limiter.seconds) != limit:
            if len(_senders) >= 10_000:
                _senders.clear()  # a limiter forgotten is a window restarted, nothing worse
            limiter = _senders[key] = RateLimiter(*limit)
    return limiter.allow()
