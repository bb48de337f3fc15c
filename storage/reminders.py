"""Reminder rows (the source of truth for the scheduler) and each person's reminder setting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.sql import Connection, Row
from storage.timefmt import from_db, opt_from_db, to_db


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    session_id: int
    user_id: int
    offset_min: int
    round: int
    due_at: datetime
    state: str  # pending | queued | skipped | cancelled
    reason: str | None
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A pending reminder whose time has come, with what deciding and writing it needs."""

    id: int
    offset_min: int
    round: int
    due_at: datetime
    session_id: int
    session_status: str
    starts_at: datetime
    user_id: int
    enabled: bool  # the person's /nhacnho setting
    signup_status: str | None
    superseded: bool  # a reminder closer to the start is due too (after downtime)


def _reminder(r: Row) -> Reminder:
    return Reminder(
        id=r["id"],
        session_id=r["session_id"],
        user_id=r["user_id"],
        offset_min=r["offset_min"],
        round=r["round"],
        due_at=from_db(r["due_at"]),
        state=r["state"],
        reason=r["reason"],
        done_at=opt_from_db(r["done_at"]),
    )


class RemindersRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- the person's setting ---------------------------------------------------------------
    async def enabled(self, user_id: int) -> bool:
        row = await self.conn.fetch_one(
            "SELECT enabled FROM training_reminder_prefs WHERE user_id = ?", (user_id,)
        )
        return True if row is None else bool(row[0])

    async def set_enabled(self, user_id: int, enabled: bool, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO training_reminder_prefs (user_id, enabled, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET enabled = excluded.enabled,"
            " updated_at = excluded.updated_at",
            (user_id, int(enabled), to_db(now)),
        )

    # -- planning ---------------------------------------------------------------------------
    async def for_person(self, session_id: int, user_id: int) -> list[Reminder]:
        rows = await self.conn.fetch_all(
            "SELECT * FROM training_reminders WHERE session_id = ? AND user_id = ? ORDER BY due_at",
            (session_id, user_id),
        )
        return [_reminder(r) for r in rows]

    async def for_session(self, session_id: int) -> list[Reminder]:
        rows = await self.conn.fetch_all(
            "SELECT * FROM training_reminders WHERE session_id = ? ORDER BY user_id, due_at",
            (session_id,),
        )
        return [_reminder(r) for r in rows]

    async def schedule(
        self,
        session_id: int,
        user_id: int,
        plan: list[tuple[int, datetime]],
        round_no: int,
        now: datetime,
    ) -> None:
        """Make the person's rows match ``plan`` ((offset, due) pairs), never repeating a sent one.

        A reminder already queued keeps its state unless its due time moved (the session's time
        changed): then it is due again, under a new round and so a new outbox purpose. A time
        already past when (re)planning is not kept: the sign-up confirmation or the change notice
        just told the person.
        """
        existing = {r.offset_min: r for r in await self.for_person(session_id, user_id)}
        stamp = to_db(now)
        planned = dict(plan)
        for offset, old in existing.items():
            if offset not in planned and old.state == "pending":
                await self._set(old.id, "cancelled", "no longer planned", stamp)
        for offset, due in planned.items():
            row = existing.get(offset)
            if row is None:
                if due > now:
                    await self.conn.execute(
                        "INSERT INTO training_reminders (session_id, user_id, offset_min, round, due_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (session_id, user_id, offset, round_no, to_db(due)),
                    )
                continue
            if row.state == "queued" and row.due_at == due:
                continue  # already sent for this very time: never twice
            if due > now:
                new_round = round_no if row.state == "queued" else row.round
                await self.conn.execute(
                    "UPDATE training_reminders SET state = 'pending', due_at = ?, round = ?,"
                    " reason = NULL, done_at = NULL WHERE id = ?",
                    (to_db(due), new_round, row.id),
                )
            elif row.state == "pending":
                await self._set(row.id, "skipped", "time passed when rescheduled", stamp)

    async def _set(self, row_id: int, state: str, reason: str, stamp: str) -> None:
        await self.conn.execute(
            "UPDATE training_reminders SET state = ?, reason = ?, done_at = ? WHERE id = ?",
            (state, reason, stamp, row_id),
        )

    async def cancel_pending(self, session_id: int, user_id: int | None, reason: str, now: datetime) -> int:
        """Withdraw pending reminders of one person (or of everyone) for a session."""
        sql = (
            "UPDATE training_reminders SET state = 'cancelled', reason = ?, done_at = ?"
            " WHERE session_id = ? AND state = 'pending'"
        )
        args: tuple[object, ...] = (reason, to_db(now), session_id)
        if user_id is not None:
            sql += " AND user_id = ?"
            args += (user_id,)
        return await self.conn.execute(sql, args)

    # -- firing -----------------------------------------------------------------------------
    async def next_due(self) -> datetime | None:
        row = await self.conn.fetch_one("SELECT MIN(due_at) FROM training_reminders WHERE state = 'pending'")
        return from_db(row[0]) if row and row[0] else None

    async def due(self, now: datetime, limit: int = 500) -> list[DueReminder]:
        """Pending reminders whose time has come, locked until the transaction ends (write
        transactions only): another process deciding the same rows waits, then finds them
        decided. Only the reminders' rows are locked (the sign-up and preference are outer joins)."""
        rows = await self.conn.fetch_all(
            "SELECT r.id, r.offset_min, r.round, r.due_at, r.session_id, s.status AS session_status,"
            " s.starts_at, r.user_id, COALESCE(p.enabled, 1) AS enabled, g.status AS signup_status,"
            " EXISTS (SELECT 1 FROM training_reminders later WHERE later.session_id = r.session_id"
            "         AND later.user_id = r.user_id AND later.offset_min < r.offset_min"
            "         AND later.state = 'pending' AND later.due_at <= ?) AS superseded"
            " FROM training_reminders r"
            " JOIN training_sessions s ON s.id = r.session_id"
            " LEFT JOIN training_reminder_prefs p ON p.user_id = r.user_id"
            " LEFT JOIN training_signups g ON g.session_id = r.session_id AND g.user_id = r.user_id"
            " WHERE r.state = 'pending' AND r.due_at <= ? ORDER BY r.due_at, r.id LIMIT ?",
            (to_db(now), to_db(now), limit),
            for_update="r",
        )
        return [
            DueReminder(
                id=r["id"],
                offset_min=r["offset_min"],
                round=r["round"],
                due_at=from_db(r["due_at"]),
                session_id=r["session_id"],
                session_status=r["session_status"],
                starts_at=from_db(r["starts_at"]),
                user_id=r["user_id"],
                enabled=bool(r["enabled"]),
                signup_status=r["signup_status"],
                superseded=bool(r["superseded"]),
            )
            for r in rows
        ]

    async def finish_many(self, outcomes: list[tuple[int, str, str | None]], now: datetime) -> None:
        """(row id, state, reason) for rows taken from ``due`` in this same transaction."""
        stamp = to_db(now)
        await self.conn.execute_many(
            "UPDATE training_reminders SET state = ?, reason = ?, done_at = ?"
            " WHERE id = ? AND state = 'pending'",
            [(state, reason, stamp, row_id) for row_id, state, reason in outcomes],
        )

    async def postpone(self, row_id: int, due: datetime) -> None:
        await self.conn.execute(
            "UPDATE training_reminders SET due_at = ? WHERE id = ? AND state = 'pending'",
            (to_db(due), row_id),
        )

    # -- bulk and statistics ------------------------------------------------------------------
    async def add_many(self, rows: list[tuple[int, int, int, datetime]]) -> None:
        """Bulk insert pending (session id, user id, offset, due) rows — imports and benchmarks."""
        await self.conn.execute_many(
            "INSERT INTO training_reminders (session_id, user_id, offset_min, due_at) VALUES (?, ?, ?, ?)",
            [(s, u, o, to_db(d)) for s, u, o, d in rows],
        )

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.conn.fetch_all("SELECT state, COUNT(*) FROM training_reminders GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}

    async def done_between(self, since: datetime) -> list[tuple[datetime, datetime, str]]:
        """(due, done, state) of rows finished since ``since`` — for benchmarks and checks."""
        rows = await self.conn.fetch_all(
            "SELECT due_at, done_at, state FROM training_reminders WHERE done_at >= ? ORDER BY done_at",
            (to_db(since),),
        )
        return [(from_db(r[0]), from_db(r[1]), r[2]) for r in rows]
