"""A throwaway PostgreSQL database per test, on the server at TEST_POSTGRES_URL.

TEST_POSTGRES_URL names a database to connect to for CREATE/DROP DATABASE (default: the local
server's ``postgres`` database, trust auth). Each test gets a database of its own with a unique
name, dropped afterwards, so test runs of several people on one server never meet.

Also a pytest plugin for test modules (``pytest_plugins = ("tests.postgres",)``): fixtures for
a database on every backend (``database_url``) or on PostgreSQL only (``postgres_url``), and one
line at the end of the run saying whether PostgreSQL was there, and how many tests were skipped
when it was not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

BACKENDS = ("sqlite", "postgresql")
ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SKIPPED = "PostgreSQL tests skipped: "  # the start of every skip reason given for a missing server


def _where() -> str:
    """Host and port of the server, never the password."""
    parts = urlsplit(ADMIN_URL)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


@cache
def unavailable() -> str | None:
    """None when the server answers; otherwise why not, in one line."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return "psycopg is not installed"
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=3, autocommit=True).close()
    except psycopg.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"no PostgreSQL server at {_where()} ({first_line}); start one or set TEST_POSTGRES_URL"
    return None


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped (with its connections) on exit."""
    import psycopg
    from psycopg import sql

    name = f"khuyenhoc_test_{uuid4().hex[:16]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database; the test is skipped when no server answers."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(SKIPPED + reason)
    with fresh_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend in turn: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contract.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if unavailable.cache_info().currsize == 0:
        return  # no test asked for PostgreSQL
    reason = unavailable()
    if reason is None:
        terminalreporter.write_sep("-", f"PostgreSQL at {_where()}: storage tests ran on it", green=True)
        return
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and report.longrepr[2].startswith(f"Skipped: {SKIPPED}")
    ]
    terminalreporter.write_sep("-", f"{SKIPPED.rstrip(': ')} ({len(skipped)}): {reason}", yellow=True)
