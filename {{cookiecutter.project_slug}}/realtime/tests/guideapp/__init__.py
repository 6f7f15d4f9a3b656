"""The README's guide, as running code: ``shout``, a room where everyone hears what anyone shouts.

The README's "Your first realtime feature" shows ``receivers.py`` and
``tests.py`` of this folder verbatim (``realtime/tests/browser/test_guide.py`` checks
that they are equal), and ``make test`` runs ``tests.py``, so the guide
cannot drift from working code. In your project the same files would be
``shout/receivers.py`` and ``shout/tests.py`` after ``manage.py startapp shout``.
"""
