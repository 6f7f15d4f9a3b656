"""The django-realtime README's receivers, exactly as written there.

Installed next to the test app in a ``LiveServer`` (see ``test_socketio_legacy_api``)
to prove that code written for the old project works unchanged.
"""
