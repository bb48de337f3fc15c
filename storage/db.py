"""SQLite: one writer behind a lock (atomic, isolated units of work), one reader.

Coroutines sharing an aiosqlite connection share its transaction, so every write goes through
``transaction()``, which holds an asyncio lock from BEGIN IMMEDIATE to COMMIT. Reads use a second
connection; under WAL they see the last committed state and never block the writer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.locks import FileLock
from storage.migrate import apply_sqlite_migrations
from storage.sql import Args, Dialect, ForUpdate, IntegrityError, Row

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


@contextmanager
def _translated() -> Iterator[None]:
    """sqlite3's constraint errors as the protocol's IntegrityError."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        raise IntegrityError(str(error)) from error


class SqliteConnection:
    """The connection protocol on one aiosqlite connection (the reader, or the writer inside
    a transaction)."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, *, writable: bool) -> None:
        self._conn = conn
        self._writable = writable

    def _check(self, for_update: ForUpdate) -> None:
        # Nothing to lock (BEGIN IMMEDIATE already holds the only write lock), but asking for a
        # lock outside a transaction is a mistake on every backend.
        if for_update and not self._writable:
            raise ValueError("for_update needs a write transaction")

    async def fetch_one(self, sql: str, args: Args = (), *, for_update: ForUpdate = False) -> Row | None:
        self._check(for_update)
        with _translated():
            # One call in aiosqlite's thread, run to its end. A statement left open across an await
            # (execute, fetchone, then close) keeps the connection's read transaction open while
            # other tasks read on it, so that they keep seeing an old snapshot and miss commits.
            rows: Any = await self._conn.execute_fetchall(sql, args)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, args: Args = (), *, for_update: ForUpdate = False) -> list[Row]:
        self._check(for_update)
        with _translated():
            # One round trip to aiosqlite's thread instead of execute, fetchall and close.
            rows: Any = await self._conn.execute_fetchall(sql, args)
        return list(rows)

    async def execute(self, sql: str, args: Args = ()) -> int:
        with _translated():
            cur = await self._conn.execute(sql, args)
        return cur.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Args]) -> None:
        with _translated():
            await self._conn.executemany(sql, rows)

    async def insert(self, sql: str, args: Args = ()) -> int:
        rows = await self.fetch_all(sql, args)
        if len(rows) != 1:
            raise RuntimeError(f"expected one inserted row, got {len(rows)}: {sql}")
        return int(rows[0][0])

    def in_list(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        if not values:
            raise ValueError("an IN list needs at least one value")
        return f"{column} IN ({','.join('?' * len(values))})", list(values)


class DatabaseInUse(Exception):
    """Another process serves this SQLite file; the message is one line for the operator."""


class ProcessLock:
    """An exclusive ``flock`` on ``<database file>.lock``, held for as long as a process serves
    the file. SQLite has one writer and nothing that would share the work between two bot
    processes (each would poll the same updates, answer them, send every reminder), so a second
    process is refused at start. The kernel drops the lock when its process dies, ``kill -9``
    included: there is never a stale lock to remove by hand."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``DatabaseInUse``."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock (Windows): nothing to check with
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise DatabaseInUse(
                f"{self.database} is in use by another bot process"
                f"{f' (pid {holder})' if holder.isdigit() else ''}, which holds {self.path}: one SQLite "
                "file serves one process; to run several processes, use PostgreSQL "
                "(DATABASE_URL=postgresql://…)"
            ) from None
        # Who holds it, for the message above and an operator who finds the file.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock


class Database:
    """The SQLite backend."""

    dialect: Dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._read: SqliteConnection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        try:
            applied = await apply_sqlite_migrations(self._writer)
            if applied:
                log.info("applied migrations: %s", ", ".join(applied))
            self._reader = await _connect(self.path)
        except BaseException:
            await self._writer.close()
            self._writer = None
            raise
        self._read = SqliteConnection(self._reader, writable=False)

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None
        self._read = None

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def reader(self) -> SqliteConnection:
        if self._read is None:
            raise RuntimeError("database is not open")
        return self._read

    def session_lock(self, name: str) -> FileLock:
        """A named lock between processes: an flock on a file beside the database."""
        return FileLock(self.path, name)

    async def tell_holder(self, name: str, message: str) -> None:
        """Nothing to do: SQLite serves one process, which holds every lock it needs."""

    @asynccontextmanager
    async def conversation_lock(self, key: str) -> AsyncIterator[bool]:
        """Always held: one process serves a SQLite file (``ProcessLock``)."""
        yield True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConnection]:
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
                yield SqliteConnection(conn, writable=True)
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
