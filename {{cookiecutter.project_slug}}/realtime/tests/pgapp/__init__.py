"""Receivers for the PostgreSQL tests (``realtime/tests/test_postgres_*.py``).

Only installed in ``LiveServer`` children (``extra_apps=["realtime.tests.pgapp"]``).
"""
