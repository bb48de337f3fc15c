"""SQLite connections: one writer behind a lock (atomic, isolated units of work), one reader.

Coroutines sharing an aiosqlite connection share its transaction, so every write goes through
``transaction()``, which holds an asyncio lock from BEGIN IMMEDIATE to COMMIT. Reads use a second
connection; under WAL they see the last committed state and never block the writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.migrate import apply_migrations

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN ourselves
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> Database:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        try:
            applied = await apply_migrations(self._writer)
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
            self._reader = await _connect(self.path)
        except BaseException:
            await self._writer.close()
            self._writer = None
            raise
        return self

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic unit of work; concurrent callers wait for the lock, never interleave."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        conn = self._writer
        async with self._lock:
            try:
                await _finish(conn, "BEGIN IMMEDIATE")
            except asyncio.CancelledError:
                await _finish(conn, "ROLLBACK")  # the BEGIN ran: never leave it open for the next caller
                raise
            try:
                yield conn
            except BaseException:
                await _finish(conn, "ROLLBACK")
                raise
            else:
                await _finish(conn, "COMMIT")


async def _finish(conn: aiosqlite.Connection, sql: str) -> None:
    """Run a transaction statement to its end even when the caller is cancelled meanwhile (a task
    stopped at shutdown): a BEGIN left open would make every later write fail."""
    statement = asyncio.ensure_future(conn.execute(sql))
    try:
        await asyncio.shield(statement)
    except asyncio.CancelledError:
        await statement
        raise
