"""Which nicknames an anonymous visitor may not take, and how names are compared.

An anonymous visitor picks any nickname, so without rules one could post as
"Admin", as "announcement" (what system messages are labelled), or as a
registered user, and could lock the real user out of their own name. So:

* names are compared by their *skeleton* (:func:`skeleton`): Unicode NFKC,
  case folded, separators (space ``.`` ``-`` ``_``) dropped, and the letters
  below mapped to the Latin letter they look like;
* an anonymous visitor may not take a name whose skeleton is that of a
  registered username or of a reserved system name (``CHAT_RESERVED_NICKNAMES``);
* a message from a logged-in user carries ``verified: true`` (the page shows
  a badge), so a look-alike that slips through is still told apart.

The look-alike table is deliberately small and documented rather than the
full Unicode confusables data (thousands of entries): the Cyrillic and Greek
letters that render like Latin ones in common fonts, and the usual digit and
letter-pair tricks (``0``/``o``, ``1``/``l``/``I``, ``rn``/``m``, ``vv``/``w``).
Extend :data:`LOOKALIKES` if your users write in other scripts.
"""

import threading
import time
import unicodedata

from django.contrib.auth import get_user_model

from chat import conf

#: Look-alike letter -> the Latin letter it passes for (after NFKC and casefold).
LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y",
    "ү": "y", "х": "x", "ԝ": "w", "ѡ": "w", "ь": "b", "г": "r", "п": "n", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ϲ": "c", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "μ": "u", "ς": "c", "ϳ": "j", "ϝ": "f",
    # digits and Latin letters that pass for others
    "0": "o", "1": "l", "i": "l", "ı": "l", "|": "l", "5": "s", "$": "s",
}  # fmt: skip
# Followed to the end: Cyrillic "і" -> "i" -> "l", like a Latin "i".
_FINAL = {}
for _letter, _target in LOOKALIKES.items():
    while _target in LOOKALIKES and LOOKALIKES[_target] != _target:
        _target = LOOKALIKES[_target]
    _FINAL[_letter] = _target

#: Letter pairs that pass for one letter (applied after LOOKALIKES).
PAIRS = {"rn": "m", "vv": "w"}
SEPARATORS = " .-_"


def skeleton(name):
    """The form two names are compared in: equal skeletons look alike."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    # NFKD drops accents (é -> e), which NFKC keeps.
    folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    folded = "".join(_FINAL.get(c, c) for c in folded if c not in SEPARATORS)
    for pair, letter in PAIRS.items():
        folded = folded.replace(pair, letter)
    return folded


def reserved_skeletons():
    return {skeleton(name) for name in conf.reserved_nicknames()}


class _UsernameSkeletons:
    """The skeletons of every registered username, re-read at most every ``CHAT_USERNAME_CACHE_SECONDS``.

    One query per process and period, not one per join: a join must not cost
    a scan of the user table. The exact (case-insensitive) username is also
    checked in the database on every join, so a new account is protected at
    once from the plain impersonation; its look-alikes once the cache expires.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._until = 0.0
        self._skeletons = frozenset()

    def get(self):
        with self._lock:
            if time.monotonic() >= self._until:
                names = get_user_model()._default_manager.values_list(get_user_model().USERNAME_FIELD, flat=True)
                self._skeletons = frozenset(skeleton(str(n)) for n in names.iterator())
                self._until = time.monotonic() + conf.username_cache_seconds()
            return self._skeletons

    def clear(self):
        with self._lock:
            self._until = 0.0


username_skeletons = _UsernameSkeletons()


def refusal(nickname):
    """Why an anonymous visitor may not take ``nickname``, or None if they may."""
    key = skeleton(nickname)
    if not key or key in reserved_skeletons():
        return "reserved"
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    if user_model._default_manager.filter(**{f"{field}__iexact": nickname}).exists():
        return "registered"
    if key in username_skeletons.get():
        return "registered"
    return None
