"""Receivers that report what the server saw, for the realtime app's own tests.

Only installed in ``LiveServer`` children (``extra_apps=["realtime.tests.testapp"]``).
"""
