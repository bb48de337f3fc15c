"""PostgreSQL through psycopg 3: a pool of autocommit connections.

Reads borrow a pooled connection per statement (autocommit: the last committed state). A write
transaction takes a pooled connection of its own for BEGIN … COMMIT. Within one process, write
transactions still run one at a time (an asyncio lock), as on SQLite. Between processes sharing
the database, row locks (``for_update``) guard the decisions made inside a transaction (free
places, one-time decisions), and session advisory locks (``AdvisoryLock``) give the leader lease
and the one-poller-per-bot rule; migrations wait for an advisory lock of their own.

Repositories write ``?`` placeholders; they become ``%s`` here (``%`` itself doubled), once per
statement text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, nullcontext
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg import sql as pgsql
from psycopg.conninfo import make_conninfo
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from storage.locks import lock_key, notify_channel
from storage.migrate import apply_postgres_migrations
from storage.sql import CONVERSATION_LOCKS, Args, Dialect, ForUpdate, IntegrityError, Row, advisory_pair

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


# The lock's own connection: TCP keepalives on both ends, so that a leader whose machine vanishes
# without closing its socket is noticed by the server (and its lock released) within about 20 s
# instead of the system's default of two hours; a process that dies on a live machine closes its
# socket and is noticed at once.
_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3}
_SERVER_KEEPALIVE = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 3",
    "SET tcp_keepalives_count = 3",
)
HELD_CHECK_TIMEOUT = 5.0  # seconds: a lock whose session does not answer by then counts as lost


class AdvisoryLock:
    """A session advisory lock on a connection of its own, outside the pool (so the pool's
    connections stay interchangeable, and a pool reset never drops the lock).

    Never unlocked by hand: the lock lives exactly as long as this session, so ``held()`` asks
    the session to answer; if it does not (server restarted, connection cut), the lock counts as
    lost and the connection is closed, which also ends the session should it still exist."""

    def __init__(self, url: str, name: str) -> None:
        self._url = url
        self._name = name
        self._key = lock_key(name)
        self._conn: AsyncConnection[Any] | None = None
        self._held = False

    @property
    def name(self) -> str:
        return self._name

    async def _connection(self) -> AsyncConnection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            await self._drop()
            conninfo = make_conninfo(self._url, connect_timeout=5, **_KEEPALIVE)
            conn = await AsyncConnection.connect(conninfo, autocommit=True)
            for statement in _SERVER_KEEPALIVE:
                await conn.execute(statement)
            self._conn = conn
        return self._conn

    async def try_acquire(self) -> bool:
        if self._held and await self.held():
            return True
        conn = await self._connection()
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
        row = await cur.fetchone()
        self._held = bool(row and row[0])
        if self._held:  # what other processes tell the holder arrives on this connection
            await conn.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(notify_channel(self._name))))
        return self._held

    async def held(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            await asyncio.wait_for(self._conn.execute("SELECT 1"), HELD_CHECK_TIMEOUT)
        except (psycopg.Error, OSError, TimeoutError) as error:
            log.warning("lock %s: its database session is gone (%s)", self._name, type(error).__name__)
            self._held = False
            await self._drop()
            return False
        return True

    async def wait(self, seconds: float) -> list[str]:
        if not self._held or self._conn is None:
            await asyncio.sleep(seconds)
            return []
        messages: list[str] = []
        try:
            async for notification in self._conn.notifies(timeout=seconds):
                messages.append(notification.payload)
        except (psycopg.Error, OSError):
            pass  # the session is gone: the next held() says so
        return messages

    async def release(self) -> None:
        held, self._held = self._held, False
        if held and self._conn is not None and not self._conn.closed:
            # Unlocked before the connection closes: the server ends a closed session a moment
            # later, and another process trying right after our release must find it free.
            with contextlib.suppress(psycopg.Error, OSError, TimeoutError):
                unlock = self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
                await asyncio.wait_for(unlock, HELD_CHECK_TIMEOUT)  # closing releases it anyway
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            try:
                await conn.close()  # the session ends, and with it the lock
            except (psycopg.Error, OSError):
                pass


class _ConversationLocks:
    """People's conversation locks: session advisory locks, all held on one connection of their own.

    A session may hold any number of advisory locks and PostgreSQL drops them all when it ends, so
    a process that dies (``kill -9`` included) frees its people at once. The statements (try,
    unlock) are short and run one at a time. Should the connection break, its locks are gone with
    it: a new one is opened for the next lock, and unlocks meant for the old one are skipped."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def try_lock(self, pair: tuple[int, int]) -> AsyncConnection[Any] | None:
        """The session now holding the lock, or None when another one holds it."""
        async with self._lock:
            conn = self._conn
            if conn is None or conn.closed or conn.broken:
                conn = self._conn = await AsyncConnection.connect(self._url, autocommit=True)
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", pair)
            row = await cur.fetchone()
            return conn if row is not None and row[0] else None

    async def unlock(self, pair: tuple[int, int], session: AsyncConnection[Any]) -> None:
        async with self._lock:
            if session is not self._conn or session.closed or session.broken:
                return  # that session is gone, and the lock with it
            await session.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", pair)

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            await conn.close()


class PostgresDatabase:
    """The PostgreSQL backend. ``url`` is a libpq URL, e.g. postgresql://bot@127.0.0.1/khuyenhoc."""

    dialect: Dialect = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10, one_writer: bool = True) -> None:
        self._url = url  # may hold a password: never logged
        self._min_size = min_size
        self._max_size = max_size
        # False lets write transactions of this process overlap, as those of several processes do;
        # the row-lock tests use it. True by default: fewer connections busy at once, and the same
        # one-writer behaviour as on SQLite inside a process.
        self._one_writer = one_writer
        self._pool: AsyncConnectionPool[AsyncConnection[PgRow]] | None = None
        self._read: _PoolReader | None = None
        self._lock = asyncio.Lock()
        self._conversations = _ConversationLocks(url)

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
        await self._conversations.close()
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

    def session_lock(self, name: str) -> AdvisoryLock:
        """A named advisory lock between processes (the leader lease, a polling lock)."""
        return AdvisoryLock(self._url, name)

    async def tell_holder(self, name: str, message: str) -> None:
        """Tell the process holding the lock ``name`` (NOTIFY; nobody hears it when none holds it)."""
        await self.reader.execute("SELECT pg_notify(?, ?)", (notify_channel(name), message))

    @asynccontextmanager
    async def conversation_lock(self, key: str) -> AsyncIterator[bool]:
        """One person's conversation for this process alone while the block runs (see
        ``_ConversationLocks``); False at once when another process is handling it."""
        pair = advisory_pair(CONVERSATION_LOCKS, key)
        session = await self._conversations.try_lock(pair)
        if session is None:
            yield False
            return
        try:
            yield True
        finally:
            # Shielded: a lock left behind would keep other processes off this person.
            await asyncio.shield(self._conversations.unlock(pair, session))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PgConnection]:
        """One atomic unit of work on its own pooled connection; one at a time in this process."""
        if self._pool is None:
            raise RuntimeError("database is not open")
        async with self._lock if self._one_writer else nullcontext(), self._pool.connection() as conn:
            with _translated():  # a deferred constraint fails at COMMIT
                async with conn.transaction():
                    yield _Transaction(conn)
