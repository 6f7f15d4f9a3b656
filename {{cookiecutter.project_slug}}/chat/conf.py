"""The chat's settings, read at run time (every one optional).

==============================  ==============================================
``CHAT_HISTORY``                messages sent to a client that joins (50).
``CHAT_MAX_MESSAGE_LENGTH``     longest message, in characters (500).
``CHAT_RATE_LIMIT``             ``(messages, seconds)`` one connection may
                                send in a sliding window ((5, 5)).
``CHAT_USER_RATE_LIMIT``        ... all the connections of one logged-in user
                                or session together ((10, 5)): chat/limits.py.
``CHAT_MAX_MISSED``             most missed messages replayed on a rejoin
                                (500); older ones are reported as skipped.
``CHAT_RESERVED_NICKNAMES``     names no anonymous visitor may take, nor a
                                look-alike ("admin", "administrator",
                                "announcement", "system", "moderator");
                                registered usernames are reserved too.
``CHAT_USERNAME_CACHE_SECONDS`` how long a process keeps the skeletons of
                                registered usernames (30).
``CHAT_PRESENCE_INTERVAL``      seconds over which a room's presence changes
                                are folded into one update (1.0; 0: each
                                change at once): chat/presence_updates.py.
``CHAT_ROOM_CREATION``          who may create rooms: ``"anyone"`` (default)
                                or ``"users"`` (logged in); quotas per hour:
                                ``CHAT_USER_ROOMS_PER_HOUR`` (50 per user),
                                ``CHAT_ANONYMOUS_ROOMS_PER_HOUR`` (5 per
                                address), ``CHAT_ANONYMOUS_ROOMS_SHARED_PER_HOUR``
                                (50 for all visitors): chat/limits.py.
==============================  ==============================================
"""

from django.conf import settings


def history_size():
    return int(getattr(settings, "CHAT_HISTORY", 50))


def max_message_length():
    return int(getattr(settings, "CHAT_MAX_MESSAGE_LENGTH", 500))


def rate_limit():
    count, seconds = getattr(settings, "CHAT_RATE_LIMIT", (5, 5))
    return int(count), float(seconds)


def max_missed():
    return int(getattr(settings, "CHAT_MAX_MISSED", 500))


#: Names no anonymous visitor may take (compared by skeleton: chat/nicknames.py).
DEFAULT_RESERVED_NICKNAMES = ("admin", "administrator", "announcement", "system", "moderator")


def reserved_nicknames():
    return tuple(getattr(settings, "CHAT_RESERVED_NICKNAMES", DEFAULT_RESERVED_NICKNAMES))


def username_cache_seconds():
    return float(getattr(settings, "CHAT_USERNAME_CACHE_SECONDS", 30))


def presence_interval():
    return float(getattr(settings, "CHAT_PRESENCE_INTERVAL", 1.0))
