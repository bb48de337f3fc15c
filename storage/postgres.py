"""PostgreSQL through psycopg 3: a pool of autocommit connections.

Reads borrow a pooled connection per statement (autocommit: the last committed state). A write
transaction takes a pooled connection of its own for BEGIN … COMMIT. Within one process, write
transactions still run one at a time (an asyncio lock), as on SQLite, so the checks that code
makes inside a transaction (free places, one-time decisions) keep holding on both backends; row
locks (``for_update``) and advisory locks are what will let several processes share a database.

Repositories write ``?`` placeholders; they become ``%s`` here (``%`` itself doubled), once per
statement text.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, nullcontext
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from storage.migrate import apply_postgres_migrations
from storage.sql import Args, Dialect, ForUpdate, IntegrityError, Row

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A quoted literal or identifier, a comment, a placeholder, or a percent sign.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?|%")


@lru_cache(maxsize=2048)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders outside quotes and comments as ``%s``; every ``%`` as ``%%`` (psycopg
    reads percent signs everywhere, even inside literals)."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return token.replace("%", "%%")

    return _TOKENS.sub(replace, sql)


class PgRow:
    """A row readable by position and by column name, like sqlite3.Row."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def pg_row(cursor: AsyncCursor[Any]) -> RowMaker[PgRow]:
    """psycopg row factory for PgRow: the column index is built once per result."""
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: PgRow(values, index)


@contextmanager
def _translated() -> Iterator[None]:
    """psycopg's constraint errors as the protocol's IntegrityError."""
    try:
        yield
    except psycopg.IntegrityError as error:
        raise IntegrityError(str(error)) from error


class _PgConnection:
    """The connection protocol; ``_conn()`` lends the psycopg connection a statement runs on."""

    dialect: Dialect = "postgresql"
    _writable = False

    def _conn(self) -> Any:  # an async context manager yielding an AsyncConnection
        raise NotImplementedError

    def _query(self, sql: str, for_update: ForUpdate) -> str:
        if for_update:
            if not self._writable:
                raise ValueError("for_update needs a write transaction")
            # On a line of its own: the statement may end in a comment.
            if isinstance(for_update, str):
                if not _IDENTIFIER.fullmatch(for_update):  # spliced into the SQL: a name only
                    raise ValueError(f"not a table name or alias: {for_update!r}")
                sql += f"\nFOR UPDATE OF {for_update}"
            else:
                sql += "\nFOR UPDATE"
        return to_pyformat(sql)

    async def fetch_one(self, sql: str, args: Args = (), *, for_update: ForUpdate = False) -> Row | None:
        query = self._query(sql, for_update)
        with _translated():
            async with self._conn() as conn:
                cur = await conn.execute(query, args)
                row: Row | None = await cur.fetchone()
                return row

    async def fetch_all(self, sql: str, args: Args = (), *, for_update: ForUpdate = False) -> list[Row]:
        query = self._query(sql, for_update)
        with _translated():
            async with self._conn() as conn:
                cur = await conn.execute(query, args)
                rows: list[Row] = await cur.fetchall()
                return rows

    async def execute(self, sql: str, args: Args = ()) -> int:
        with _translated():
            async with self._conn() as conn:
                cur = await conn.execute(to_pyformat(sql), args)
                return cur.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Args]) -> None:
        batch = list(rows)
        if not batch:
            return
        with _translated():
            async with self._conn() as conn, conn.cursor() as cur:
                await cur.executemany(to_pyformat(sql), batch)

    async def insert(self, sql: str, args: Args = ()) -> int:
        rows = await self.fetch_all(sql, args)
        if len(rows) != 1:
            raise RuntimeError(f"expected one inserted row, got {len(rows)}: {sql}")
        return int(rows[0][0])

    def in_list(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        # One array parameter: the statement text does not depend on the list's length, so
        # psycopg prepares it once.
        if not values:
            raise ValueError("an IN list needs at least one value")
        return f"{column} = ANY(?)", [list(values)]


class _PoolReader(_PgConnection):
    """Reads: each statement on a connection borrowed from the pool (autocommit)."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[PgRow]]) -> None:
        self._pool = pool

    def _conn(self) -> Any:
        return self._pool.connection()


class _Transaction(_PgConnection):
    """Every statement of one write transaction on its one connection."""

    _writable = True

    def __init__(self, conn: AsyncConnection[PgRow]) -> None:
        self._held = conn

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[AsyncConnection[PgRow]]:
        yield self._held


class PostgresDatabase:
    """The PostgreSQL backend. ``url`` is a libpq URL, e.g. postgresql://bot@127.0.0.1/khuyenhoc."""

    dialect: Dialect = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, one_writer: bool = True) -> None:
        self._url = url  # may hold a password: never logged
        self._min_size = min_size
        self._max_size = max_size
        # False lets write transactions overlap; only code that takes its own row locks
        # (for_update) is safe then. Kept for the tests of those locks until part 3 of issue 13.
        self._one_writer = one_writer
        self._pool: AsyncConnectionPool[AsyncConnection[PgRow]] | None = None
        self._read: _PoolReader | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        # Migrate on a connection of our own first: a wrong URL or a server that is down fails
        # here at once with libpq's own message, not as a pool timeout.
        async with await AsyncConnection.connect(self._url, autocommit=True) as conn:
            applied = await apply_postgres_migrations(conn)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        pool: AsyncConnectionPool[AsyncConnection[PgRow]] = AsyncConnectionPool(
            self._url,
            min_size=self._min_size,
            max_size=self._max_size,
            kwargs={"autocommit": True, "row_factory": pg_row},
            open=False,
            name="khuyenhoc",
        )
        await pool.open(wait=True, timeout=10)
        self._pool = pool
        self._read = _PoolReader(pool)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        self._pool = None
        self._read = None

    async def __aenter__(self) -> PostgresDatabase:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def reader(self) -> _PgConnection:
        if self._read is None:
            raise RuntimeError("database is not open")
        return self._read

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PgConnection]:
        """One atomic unit of work on its own pooled connection; one at a time in this process."""
        if self._pool is None:
            raise RuntimeError("database is not open")
        async with self._lock if self._one_writer else nullcontext(), self._pool.connection() as conn:
            with _translated():  # a deferred constraint fails at COMMIT
                async with conn.transaction():
                    yield _Transaction(conn)
