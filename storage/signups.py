"""Sign-ups for training sessions: confirmed places, the waiting list, attendance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.sql import Connection, Row
from storage.timefmt import from_db, opt_from_db, to_db

STATUSES = ("confirmed", "waiting", "cancelled")


@dataclass(frozen=True, slots=True)
class Signup:
    id: int
    session_id: int
    user_id: int
    status: str
    queued_at: datetime
    seq: int
    attended: bool | None


@dataclass(frozen=True, slots=True)
class Attendee:
    """A sign-up with what an officer needs to see about the person."""

    signup_id: int
    user_id: int
    display_name: str
    channel: str
    area_name: str
    status: str
    queued_at: datetime
    attended: bool | None
    attendance_at: datetime | None


def _attended(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _signup(r: Row) -> Signup:
    return Signup(
        id=r["id"],
        session_id=r["session_id"],
        user_id=r["user_id"],
        status=r["status"],
        queued_at=from_db(r["queued_at"]),
        seq=r["seq"],
        attended=_attended(r["attended"]),
    )


class SignupsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, session_id: int, user_id: int) -> Signup | None:
        row = await self.conn.fetch_one(
            "SELECT * FROM training_signups WHERE session_id = ? AND user_id = ?", (session_id, user_id)
        )
        return _signup(row) if row else None

    async def by_id(self, signup_id: int) -> Signup | None:
        row = await self.conn.fetch_one("SELECT * FROM training_signups WHERE id = ?", (signup_id,))
        return _signup(row) if row else None

    async def put(self, session_id: int, user_id: int, status: str, now: datetime) -> Signup:
        """Create the sign-up or reopen a cancelled one at the back of the queue."""
        if status not in STATUSES:
            raise ValueError(f"unknown sign-up status {status!r}")
        stamp = to_db(now)
        await self.conn.execute(
            "INSERT INTO training_signups (session_id, user_id, status, queued_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(session_id, user_id) DO UPDATE SET status = excluded.status,"
            " queued_at = excluded.queued_at, updated_at = excluded.updated_at,"
            " seq = training_signups.seq + 1",
            (session_id, user_id, status, stamp, stamp, stamp),
        )
        signup = await self.get(session_id, user_id)
        assert signup is not None
        return signup

    async def set_status(self, signup_id: int, status: str, now: datetime) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown sign-up status {status!r}")
        await self.conn.execute(
            "UPDATE training_signups SET status = ?, updated_at = ?, seq = seq + 1 WHERE id = ?",
            (status, to_db(now), signup_id),
        )

    async def count(self, session_id: int, status: str) -> int:
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) FROM training_signups WHERE session_id = ? AND status = ?",
            (session_id, status),
        )
        return int(row[0]) if row else 0

    async def counts(self, session_ids: list[int]) -> dict[int, tuple[int, int]]:
        """(confirmed, waiting) per session."""
        if not session_ids:
            return {}
        in_sessions, args = self.conn.in_list("session_id", session_ids)
        rows = await self.conn.fetch_all(
            "SELECT session_id, SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END)"
            f" FROM training_signups WHERE {in_sessions} GROUP BY session_id",
            args,
        )
        found = {int(r[0]): (int(r[1] or 0), int(r[2] or 0)) for r in rows}
        return {sid: found.get(sid, (0, 0)) for sid in session_ids}

    async def statuses_for(self, user_id: int, session_ids: list[int]) -> dict[int, str]:
        """The person's sign-up status per session (cancelled ones left out)."""
        if not session_ids:
            return {}
        in_sessions, args = self.conn.in_list("session_id", session_ids)
        rows = await self.conn.fetch_all(
            "SELECT session_id, status FROM training_signups"
            f" WHERE user_id = ? AND status != 'cancelled' AND {in_sessions}",
            [user_id, *args],
        )
        return {int(r[0]): r[1] for r in rows}

    async def waiting_position(self, session_id: int, user_id: int) -> int | None:
        """1 for the first in the waiting list; None when the person is not waiting."""
        signup = await self.get(session_id, user_id)
        if signup is None or signup.status != "waiting":
            return None
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) FROM training_signups WHERE session_id = ? AND status = 'waiting'"
            " AND (queued_at < ? OR (queued_at = ? AND id < ?))",
            (session_id, to_db(signup.queued_at), to_db(signup.queued_at), signup.id),
        )
        return int(row[0]) + 1 if row else 1

    async def first_waiting(self, session_id: int, limit: int) -> list[Signup]:
        rows = await self.conn.fetch_all(
            "SELECT * FROM training_signups WHERE session_id = ? AND status = 'waiting'"
            " ORDER BY queued_at, id LIMIT ?",
            (session_id, limit),
        )
        return [_signup(r) for r in rows]

    async def active(self, session_id: int) -> list[Signup]:
        """Everyone confirmed or waiting, in queue order."""
        rows = await self.conn.fetch_all(
            "SELECT * FROM training_signups WHERE session_id = ? AND status != 'cancelled'"
            " ORDER BY status, queued_at, id",
            (session_id,),
        )
        return [_signup(r) for r in rows]

    async def attendees(
        self, session_id: int, statuses: tuple[str, ...] = ("confirmed", "waiting"), limit: int = 10_000
    ) -> list[Attendee]:
        if not statuses:
            return []
        in_statuses, args = self.conn.in_list("g.status", statuses)
        rows = await self.conn.fetch_all(
            "SELECT g.id, g.user_id, u.display_name, u.channel, COALESCE(a.name, '') AS area_name,"
            " g.status, g.queued_at, g.attended, g.attendance_at"
            " FROM training_signups g JOIN users u ON u.id = g.user_id"
            " LEFT JOIN areas a ON a.id = u.area_id"
            f" WHERE g.session_id = ? AND {in_statuses}"
            " ORDER BY g.status, g.queued_at, g.id LIMIT ?",
            [session_id, *args, limit],
        )
        return [
            Attendee(
                signup_id=r["id"],
                user_id=r["user_id"],
                display_name=r["display_name"],
                channel=r["channel"],
                area_name=r["area_name"],
                status=r["status"],
                queued_at=from_db(r["queued_at"]),
                attended=_attended(r["attended"]),
                attendance_at=opt_from_db(r["attendance_at"]),
            )
            for r in rows
        ]

    async def mark_attendance(self, signup_id: int, attended: bool | None, by: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE training_signups SET attended = ?, attendance_by = ?, attendance_at = ? WHERE id = ?",
            (None if attended is None else int(attended), by, to_db(now), signup_id),
        )

    async def upcoming_for_user(self, user_id: int, now: datetime) -> list[tuple[int, str]]:
        """(session id, status) of the person's active sign-ups for sessions not yet begun."""
        rows = await self.conn.fetch_all(
            "SELECT g.session_id, g.status FROM training_signups g"
            " JOIN training_sessions s ON s.id = g.session_id"
            " WHERE g.user_id = ? AND g.status != 'cancelled' AND s.status = 'scheduled'"
            " AND s.starts_at > ? ORDER BY s.starts_at",
            (user_id, to_db(now)),
        )
        return [(int(r[0]), r[1]) for r in rows]

    async def history_for_user(self, user_id: int) -> list[tuple[str, datetime, str, bool | None]]:
        """Every sign-up of a person (title, start, status, attended), for /dulieu."""
        rows = await self.conn.fetch_all(
            "SELECT s.title, s.starts_at, g.status, g.attended FROM training_signups g"
            " JOIN training_sessions s ON s.id = g.session_id WHERE g.user_id = ? ORDER BY s.starts_at",
            (user_id,),
        )
        return [(r[0], from_db(r[1]), r[2], None if r[3] is None else bool(r[3])) for r in rows]

    async def add_many(self, rows: list[tuple[int, int, str]], now: datetime) -> None:
        """Bulk insert (session id, user id, status) — imports and benchmarks."""
        stamp = to_db(now)
        await self.conn.execute_many(
            "INSERT INTO training_signups (session_id, user_id, status, queued_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(s, u, st, stamp, stamp, stamp) for s, u, st in rows],
        )
