"""Throwaway PostgreSQL databases, for tests that need a real server.

What only a real server shows (a slow query must not stall other clients,
the chat while the database is down) is tested on a uniquely named database
created on the server at ``REALTIME_TEST_POSTGRES_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``: a local server that trusts
local connections, as CI runs it) and dropped afterwards, so the tests never
touch your own databases. No server answering there skips those tests with
the reason on your machine and fails them in CI (``CI`` set), like a missing
tool (``realtime.testing.needs``).
"""

import contextlib
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg

ADMIN_URL_VARIABLE = "REALTIME_TEST_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """A URL of the server with a user that may create and drop databases."""
    return os.environ.get(ADMIN_URL_VARIABLE) or DEFAULT_ADMIN_URL


def _shown(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))


def connect(url: str | None = None) -> "psycopg.Connection[tuple[Any, ...]]":
    """An autocommit psycopg connection (3 s to connect): the server's administration."""
    import psycopg

    return psycopg.connect(url or admin_url(), autocommit=True, connect_timeout=3)


def need_postgres() -> str:
    """The admin URL; skips the calling test when no server answers there (fails it in CI)."""
    import psycopg

    url = admin_url()
    try:
        with connect(url):
            return url
    except psycopg.Error as error:
        why = " ".join(str(error).split("\n")[0].split()) or type(error).__name__
    import pytest

    reason = (
        f"no PostgreSQL server answers at {_shown(url)} ({why}): start one (apt-get install postgresql), "
        f"or set {ADMIN_URL_VARIABLE} to a server where that user may create databases"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI runs every test: nothing may skip there)")
    pytest.skip(reason)


class TemporaryDatabase:
    """A database of its own on the server: ``url`` for ``DATABASE_URL``; dropped by ``drop()``."""

    def __init__(self, prefix: str = "realtime_test") -> None:
        self.admin = need_postgres()
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        parts = urlsplit(self.admin)
        self.url = urlunsplit((parts.scheme, parts.netloc, f"/{self.name}", parts.query, ""))
        self._execute("CREATE DATABASE {}")

    def _execute(self, statement: str) -> None:
        from psycopg import sql

        with connect(self.admin) as admin:
            admin.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def refuse_connections(self) -> None:
        """An outage, as clients see one: open connections are cut, new ones refused."""
        self._execute("ALTER DATABASE {} ALLOW_CONNECTIONS false")
        with connect(self.admin) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )

    def accept_connections(self) -> None:
        """The end of the outage."""
        self._execute("ALTER DATABASE {} ALLOW_CONNECTIONS true")

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        self.refuse_connections()
        try:
            yield
        finally:
            self.accept_connections()

    def query(self, statement: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one query on this database (the test's own look, not through Django)."""
        with connect(self.url) as conn:
            return conn.execute(statement, params).fetchall()

    def drop(self) -> None:
        """Drop the database, even with connections still open to it (PostgreSQL 13+)."""
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")


@contextlib.contextmanager
def temporary_database(prefix: str = "realtime_test") -> Iterator[TemporaryDatabase]:
    """``with temporary_database() as db:`` a fresh database (``db.url``), dropped afterwards."""
    database = TemporaryDatabase(prefix)
    try:
        yield database
    finally:
        database.drop()
