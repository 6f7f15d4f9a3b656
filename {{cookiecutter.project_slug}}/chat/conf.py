"""The chat's settings, read at run time (every one optional).

==============================  ==============================================
``CHAT_HISTORY``                messages sent to a client that joins (50).
``CHAT_MAX_MESSAGE_LENGTH``     longest message, in characters (500).
``CHAT_RATE_LIMIT``             ``(messages, seconds)`` one connection may
                                send in a sliding window ((5, 5)).
``CHAT_MAX_MISSED``             most missed messages replayed on a rejoin
                                (500); older ones are reported as skipped.
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
