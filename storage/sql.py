"""The connection protocol every repository uses, whatever the database behind it.

Repositories write SQL once, with ``?`` placeholders, and call only what is here. Two backends
implement it: ``storage.db`` (SQLite through aiosqlite) and ``storage.postgres`` (PostgreSQL through
psycopg 3 and a pool). What differs between the two stays in the backends: placeholder style,
how rows are returned, ``IN`` lists, row locks, driver exceptions.

Portable SQL means: ``INSERT … RETURNING id`` (never ``lastrowid``), ``CASE`` instead of two-argument
``MAX``/``MIN`` or boolean sums, qualified columns in ``ON CONFLICT DO UPDATE``, ``CAST(? AS …)``
where a parameter's type cannot be inferred, times as fixed-width UTC text (``storage.timefmt``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

from storage.locks import SessionLock

Dialect = Literal["sqlite", "postgresql"]
Args = Sequence[object]
# False, True (lock every row read) or the name (or alias) of the one table whose rows to lock.
ForUpdate = bool | str

# PostgreSQL advisory locks keyed by two 32-bit numbers: a space of ours, then a digest of a name.
# PostgreSQL keeps these apart from the locks keyed by one 64-bit number, so they meet no other lock.
CONVERSATION_LOCKS = 0x6B68_0001  # one person's conversation, held while their updates are handled
INBOX_ARRIVALS = 0x6B68_0002  # one person's rows being stored in the inbox (their ids stay in order)


def advisory_pair(space: int, name: str) -> tuple[int, int]:
    """The two-number advisory-lock key of ``name`` in ``space``, the same in every process. Two
    names may share a key: they then wait for each other, which is only slower."""
    digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
    return space, int.from_bytes(digest, "big", signed=True)


class IntegrityError(Exception):
    """A constraint refused a write (unique key, foreign key, check), on either backend."""


class Row(Protocol):
    """A result row: by position (``row[0]``) or by column name (``row["id"]``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A read connection or one write transaction. SQL uses ``?`` placeholders."""

    @property
    def dialect(self) -> Dialect: ...

    async def fetch_one(self, sql: str, args: Args = (), *, for_update: ForUpdate = False) -> Row | None:
        """The first row, or None. ``for_update`` (write transactions only) locks the rows read
        until the transaction ends, on backends with row locks (PostgreSQL); SQLite's single
        writer already excludes every other writer. ``True`` locks the rows of every table read;
        a table name or alias locks only that table's rows (``FOR UPDATE OF r``): needed when
        the query has an outer join, whose nullable side cannot be locked."""
        ...

    async def fetch_all(self, sql: str, args: Args = (), *, for_update: ForUpdate = False) -> list[Row]: ...

    async def execute(self, sql: str, args: Args = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def execute_many(self, sql: str, rows: Iterable[Args]) -> None:
        """One statement for each row of arguments (bulk inserts and updates)."""
        ...

    async def insert(self, sql: str, args: Args = ()) -> int:
        """Run an ``INSERT … RETURNING id`` that inserts one row; its id."""
        ...

    def in_list(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        """``column IN (…)`` for a non-empty list of values, as (SQL, arguments) to splice in."""
        ...


class Backend(Protocol):
    """A database: migrated when opened, one read connection, atomic write transactions, and
    locks between processes: row locks in a transaction (``for_update``) and named session locks
    (``session_lock``: the leader lease, one lock per polled bot token)."""

    @property
    def dialect(self) -> Dialect: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    @property
    def reader(self) -> Connection:
        """Last committed state; never blocks a writer."""
        ...

    def session_lock(self, name: str) -> SessionLock:
        """A named lock between processes, not taken yet (see ``storage.locks``)."""
        ...

    async def tell_holder(self, name: str, message: str) -> None:
        """Tell the process that holds the lock ``name`` (it reads it in ``SessionLock.wait``)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One atomic unit of work: committed when the block ends, rolled back on an exception."""
        ...

    def conversation_lock(self, key: str) -> AbstractAsyncContextManager[bool]:
        """Hold one person's conversation against other processes for the block, without waiting:
        yields False when another process holds it. PostgreSQL: a session advisory lock; SQLite
        always yields True (one process per file, refused at start otherwise)."""
        ...
