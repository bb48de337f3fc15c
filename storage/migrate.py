"""Numbered SQL migrations (``migrations/NNNN_name.sql``) applied in order at start.

A file in ``migrations/`` serves both backends unless ``migrations/postgresql/`` holds a file of
the same name, which PostgreSQL applies instead (its own column types: identity keys, BYTEA,
DOUBLE PRECISION). Both backends therefore share one list of versions and names, recorded in
``schema_version``; each migration is applied in its own transaction.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from importlib import resources
from importlib.abc import Traversable
from typing import TYPE_CHECKING, Any

import aiosqlite

from storage.sql import Dialect

if TYPE_CHECKING:
    from psycopg import AsyncConnection

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_SCHEMA_VERSION = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


def _sql_files(folder: Traversable) -> dict[str, Traversable]:
    return {entry.name: entry for entry in folder.iterdir() if _NAME.match(entry.name)}


def migration_files(dialect: Dialect = "sqlite") -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every migration shipped with the package, in order."""
    folder = resources.files("storage") / "migrations"
    files = _sql_files(folder)
    if dialect == "postgresql":
        overrides = _sql_files(folder / "postgresql")
        strays = sorted(set(overrides) - set(files))
        if strays:
            raise RuntimeError(f"PostgreSQL migrations without a shared counterpart: {strays}")
        files |= overrides
    found = []
    for name, entry in files.items():
        match = _NAME.match(name)
        assert match is not None
        found.append((int(match.group(1)), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def applied_versions(conn: aiosqlite.Connection) -> set[int]:
    await conn.execute(_SCHEMA_VERSION)
    async with conn.execute("SELECT version FROM schema_version") as cur:
        return {int(row[0]) for row in await cur.fetchall()}


async def apply_sqlite_migrations(conn: aiosqlite.Connection, until: int | None = None) -> list[str]:
    """Apply each migration not yet applied, in order, each in its own transaction; ``until``
    stops after that version (tests of a migration on older data)."""
    done = await applied_versions(conn)
    applied = []
    for version, name, sql in migration_files("sqlite"):
        if version in done or (until is not None and version > until):
            continue
        try:
            # executescript commits a pending transaction before it starts and runs statement by
            # statement: the BEGIN inside the script makes the file atomic with its version row.
            await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n;")
            await conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, _stamp()),
            )
            await conn.execute("COMMIT")
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


# The advisory lock key that serialises migrations between processes starting at once (any
# 64-bit number of our own; the leader lease and the polling locks use others, see storage.locks).
MIGRATION_LOCK = 0x6B68_6D69_6772_0001


async def apply_postgres_migrations(conn: AsyncConnection[Any], until: int | None = None) -> list[str]:
    """The same on PostgreSQL, where DDL is transactional too (an autocommit connection).

    Several bot processes may start at once on one database: each waits for an advisory lock
    before it reads which versions are applied, so one applies the new files and the others then
    find them applied (without the lock, both would run the same CREATE TABLE)."""
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        await conn.execute(_SCHEMA_VERSION)
        cur = await conn.execute("SELECT version FROM schema_version")
        done = {int(row[0]) for row in await cur.fetchall()}
        applied = []
        for version, name, sql in migration_files("postgresql"):
            if version in done or (until is not None and version > until):
                continue
            async with conn.transaction():
                await conn.execute(sql)  # no parameters: the whole file runs as one script
                await conn.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (%s, %s, %s)",
                    (version, name, _stamp()),
                )
            applied.append(name)
        return applied
    finally:
        # A broken connection has lost the lock with its session: nothing to release then, and
        # the error that broke it is the one to report.
        with contextlib.suppress(Exception):
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
