"""The inbox: updates from the platforms, stored before they are acknowledged and handled from here.

A row per update, unique by (platform, platform id), so an update delivered again is recognised.
One person's rows are handled in id order: on PostgreSQL, where several processes store rows,
the rows of one person are inserted under a transaction lock of that person, so that their ids
follow the order in which they were committed whichever process stored them.

Exactly once, with the conversation: a row is marked handled in the transaction that saves the
person's conversation state at the end of its turn (``handling`` and ``mark_with_state`` below,
called by ``storage.conversations``), or right after the handling when the turn saves no state
(a guest who stored nothing). So the update and the state it leads to are committed together: a
crash before that commit leaves the update to be handled again, from the state it found; a crash
after it never handles it again. (A turn's other writes come before its state in transactions of
their own: after a crash between the two, they are made again, and the features' own checks —
unique keys, "already signed up" — keep their effect single.)

Once handled, the row keeps ids and times only (the payload is dropped: what people wrote does
not linger) until it is pruned; the dedupe needs no more.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from storage.sql import INBOX_ARRIVALS, Connection, advisory_pair
from storage.timefmt import from_db, opt_from_db, to_db


@dataclass(frozen=True, slots=True)
class NewUpdate:
    platform_id: str  # Telegram's update_id, Zalo's message_id (or a digest of the event)
    person: str  # channel-qualified key of who sent it, e.g. telegram:12345
    payload: str  # the update as JSON


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    id: int
    platform: str
    platform_id: str
    person: str
    payload: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Backlog:
    """Updates stored and not handled yet."""

    count: int
    oldest: datetime | None  # when the oldest of them arrived


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A row as stored (tests and the operator's view)."""

    id: int
    platform: str
    platform_id: str
    person: str
    has_payload: bool
    received_at: datetime
    handled_at: datetime | None


_MARK = "UPDATE inbox SET handled_at = ?, payload = NULL WHERE id = ? AND handled_at IS NULL"


@dataclass(slots=True)
class Handling:
    """The row being handled in this task, and whether a committed transaction has marked it."""

    row_id: int
    stamp: str  # when its handling began
    marked: bool = False
    in_transaction: bool = False  # marked by the write transaction under way, not committed yet


_handling: ContextVar[Handling | None] = ContextVar("inbox_handling", default=None)


@contextmanager
def handling(row_id: int, now: datetime) -> Iterator[Handling]:
    """While the block runs, the transaction that saves the conversation state (from this task, or
    one it starts) also marks the row handled."""
    current = Handling(row_id, to_db(now))
    token = _handling.set(current)
    try:
        yield current
    finally:
        _handling.reset(token)


def current_row() -> int | None:
    """The id of the inbox row being handled in this task, if any (deleting a person's data
    pseudonymises it with their earlier rows)."""
    current = _handling.get()
    return current.row_id if current is not None else None


async def mark_with_state(conn: Connection) -> None:
    """Inside the write transaction that saves a person's conversation state: mark the update
    being handled, if any (idempotent)."""
    current = _handling.get()
    if current is not None and not current.marked:
        await conn.execute(_MARK, (current.stamp, current.row_id))
        current.in_transaction = True


def settle(committed: bool) -> None:
    """Called once a write transaction has ended (``storage.store.Store.write``): a mark it held
    counts only if it committed."""
    current = _handling.get()
    if current is not None and current.in_transaction:
        current.marked = current.marked or committed
        current.in_transaction = False


class InboxRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def lock_arrivals(self, people: Iterable[str]) -> None:
        """PostgreSQL: hold these people's arrival locks until the transaction ends, so that rows of
        one person stored by several processes get ids in the order they are committed. Taken in
        sorted order (and again harmlessly: they are re-entrant), so two processes never deadlock."""
        if self.conn.dialect != "postgresql":
            return  # one process per SQLite file, whose writes are already one at a time
        for person in sorted(set(people)):
            space, key = advisory_pair(INBOX_ARRIVALS, person)
            await self.conn.execute(
                "SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), CAST(? AS INTEGER))", (space, key)
            )

    async def add(self, platform: str, updates: Sequence[NewUpdate], now: datetime) -> int:
        """Store updates (in a write transaction), skipping those already stored; how many were new."""
        await self.lock_arrivals(u.person for u in updates)
        stamp = to_db(now)
        new = 0
        for update in updates:
            new += await self.conn.execute(
                "INSERT INTO inbox (platform, platform_id, person, payload, received_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, platform_id) DO NOTHING",
                (platform, update.platform_id, update.person, update.payload, stamp),
            )
        return new

    async def pending_people(self, platform: str, limit: int) -> list[str]:
        """People with updates to handle, whoever has waited longest first."""
        rows = await self.conn.fetch_all(
            "SELECT person, MIN(id) AS first FROM inbox WHERE platform = ? AND handled_at IS NULL"
            " GROUP BY person ORDER BY first LIMIT ?",
            (platform, limit),
        )
        return [str(r["person"]) for r in rows]

    async def next_pending(self, platform: str, person: str) -> PendingUpdate | None:
        """This person's oldest update not handled yet."""
        row = await self.conn.fetch_one(
            "SELECT id, platform_id, payload, received_at FROM inbox"
            " WHERE platform = ? AND person = ? AND handled_at IS NULL ORDER BY id LIMIT 1",
            (platform, person),
        )
        if row is None:
            return None
        return PendingUpdate(
            id=int(row["id"]),
            platform=platform,
            platform_id=str(row["platform_id"]),
            person=person,
            payload=str(row["payload"] or ""),
            received_at=from_db(row["received_at"]),
        )

    async def mark_handled(self, row_id: int, now: datetime) -> None:
        await self.conn.execute(_MARK, (to_db(now), row_id))

    async def backlog(self, platform: str) -> Backlog:
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM inbox"
            " WHERE platform = ? AND handled_at IS NULL",
            (platform,),
        )
        if row is None:
            return Backlog(0, None)
        return Backlog(int(row["n"]), opt_from_db(row["oldest"]))

    async def prune(self, handled_before: datetime) -> int:
        """Forget rows handled before this time; how many."""
        return await self.conn.execute(
            "DELETE FROM inbox WHERE handled_at IS NOT NULL AND handled_at < ?", (to_db(handled_before),)
        )

    async def rows(self, platform: str | None = None) -> list[InboxRow]:
        """Every row, oldest first (tests, and an operator looking at the table's shape)."""
        where, args = ("WHERE platform = ?", (platform,)) if platform else ("", ())
        found = await self.conn.fetch_all(
            "SELECT id, platform, platform_id, person, payload IS NOT NULL AS has_payload, received_at,"
            f" handled_at FROM inbox {where} ORDER BY id",
            args,
        )
        return [
            InboxRow(
                id=int(r["id"]),
                platform=str(r["platform"]),
                platform_id=str(r["platform_id"]),
                person=str(r["person"]),
                has_payload=bool(r["has_payload"]),
                received_at=from_db(r["received_at"]),
                handled_at=opt_from_db(r["handled_at"]),
            )
            for r in found
        ]
