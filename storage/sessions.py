"""Training sessions (hội nghị tập huấn) and information sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.reminders import RemindersRepo
from storage.signups import SignupsRepo
from storage.sql import Connection, Row
from storage.timefmt import from_db, to_db

DEFAULT_OFFSETS = (1440, 120)  # 1 day and 2 hours before the start


def offsets_to_db(offsets: tuple[int, ...]) -> str:
    return ",".join(str(o) for o in sorted(set(offsets), reverse=True))


def offsets_from_db(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class TrainingSession:
    id: int
    title: str
    starts_at: datetime
    duration_min: int
    place: str
    audience: str  # family | officer | all
    area_id: str
    capacity: int
    description: str
    status: str  # scheduled | cancelled
    reminder_offsets: tuple[int, ...] = DEFAULT_OFFSETS
    change_no: int = 0
    ext_ref: str | None = None
    created_by: str = ""

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True, slots=True)
class SessionChanges:
    """New values for an edit; None leaves a field as it is."""

    title: str | None = None
    starts_at: datetime | None = None
    duration_min: int | None = None
    place: str | None = None
    audience: str | None = None
    area_id: str | None = None
    capacity: int | None = None
    description: str | None = None
    reminder_offsets: tuple[int, ...] | None = None


_COLUMNS = (
    "s.id, s.title, s.starts_at, s.duration_min, s.place, s.audience, s.area_id, s.capacity,"
    " s.description, s.status, s.reminder_offsets, s.change_no, s.ext_ref, s.created_by"
)


def _session(row: Row) -> TrainingSession:
    return TrainingSession(
        id=row["id"],
        title=row["title"],
        starts_at=from_db(row["starts_at"]),
        duration_min=row["duration_min"],
        place=row["place"],
        audience=row["audience"],
        area_id=row["area_id"],
        capacity=row["capacity"],
        description=row["description"],
        status=row["status"],
        reminder_offsets=offsets_from_db(row["reminder_offsets"]),
        change_no=row["change_no"],
        ext_ref=row["ext_ref"],
        created_by=row["created_by"],
    )


def _in_scope(scope_path: str | None, since: datetime) -> tuple[str, list[object]]:
    """Sessions starting after ``since`` in an area and below (None: everywhere)."""
    if scope_path is None:
        return "s.starts_at > ?", [to_db(since)]
    return "s.starts_at > ? AND substr(a.path, 1, ?) = ?", [to_db(since), len(scope_path), scope_path]


class SessionsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Sign-ups and reminders belong to sessions; reached as tx.sessions.signups / .reminders.
        self.signups = SignupsRepo(conn)
        self.reminders = RemindersRepo(conn)

    async def create(
        self,
        *,
        title: str,
        starts_at: datetime,
        duration_min: int,
        place: str,
        audience: str,
        area_id: str,
        capacity: int,
        description: str,
        created_by: str,
        now: datetime,
        reminder_offsets: tuple[int, ...] = DEFAULT_OFFSETS,
        ext_ref: str | None = None,
    ) -> int:
        return await self.conn.insert(
            "INSERT INTO training_sessions (title, starts_at, duration_min, place, audience,"
            " area_id, capacity, description, created_by, created_at, updated_at, reminder_offsets,"
            " ext_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                title,
                to_db(starts_at),
                duration_min,
                place,
                audience,
                area_id,
                capacity,
                description,
                created_by,
                to_db(now),
                to_db(now),
                offsets_to_db(reminder_offsets),
                ext_ref,
            ),
        )

    async def get(self, session_id: int, *, for_update: bool = False) -> TrainingSession | None:
        """``for_update`` locks the session's row until the transaction ends: every decision about
        its places (sign-up, cancel, the waiting list, a new capacity) takes it first, so two
        processes never both see the last free place."""
        row = await self.conn.fetch_one(
            f"SELECT {_COLUMNS} FROM training_sessions s WHERE s.id = ?", (session_id,), for_update=for_update
        )
        return _session(row) if row else None

    async def by_ref(self, ext_ref: str) -> TrainingSession | None:
        row = await self.conn.fetch_one(
            f"SELECT {_COLUMNS} FROM training_sessions s WHERE s.ext_ref = ?", (ext_ref,)
        )
        return _session(row) if row else None

    async def update(self, session_id: int, changes: SessionChanges, now: datetime, *, notify: bool) -> None:
        """Apply ``changes``; ``notify`` bumps change_no (people are told about this change)."""
        fields: dict[str, object] = {}
        for name in ("title", "duration_min", "place", "audience", "area_id", "capacity", "description"):
            value = getattr(changes, name)
            if value is not None:
                fields[name] = value
        if changes.starts_at is not None:
            fields["starts_at"] = to_db(changes.starts_at)
            fields["reminders_closed"] = 0
        if changes.reminder_offsets is not None:
            fields["reminder_offsets"] = offsets_to_db(changes.reminder_offsets)
        fields["updated_at"] = to_db(now)
        # Column names come from the fixed list above, never from input.
        assignments = ", ".join(f"{name} = ?" for name in fields)
        bump = ", change_no = change_no + 1" if notify else ""
        await self.conn.execute(
            f"UPDATE training_sessions SET {assignments}{bump} WHERE id = ?",
            (*fields.values(), session_id),
        )

    async def cancel(self, session_id: int, now: datetime) -> bool:
        changed = await self.conn.execute(
            "UPDATE training_sessions SET status = 'cancelled', cancelled_at = ?, updated_at = ?,"
            " change_no = change_no + 1 WHERE id = ? AND status = 'scheduled'",
            (to_db(now), to_db(now), session_id),
        )
        return changed == 1

    async def upcoming(
        self,
        area_paths: list[str],
        audiences: tuple[str, ...],
        now: datetime,
        limit: int = 10,
        offset: int = 0,
    ) -> list[TrainingSession]:
        """Scheduled sessions not yet started whose area is one of ``area_paths`` (exact)."""
        if not area_paths or not audiences:
            return []
        where, args = self._upcoming(area_paths, audiences, now)
        rows = await self.conn.fetch_all(
            f"SELECT {_COLUMNS} FROM training_sessions s JOIN areas a ON a.id = s.area_id"
            f" WHERE {where} ORDER BY s.starts_at, s.id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [_session(r) for r in rows]

    async def count_upcoming(self, area_paths: list[str], audiences: tuple[str, ...], now: datetime) -> int:
        if not area_paths or not audiences:
            return 0
        where, args = self._upcoming(area_paths, audiences, now)
        row = await self.conn.fetch_one(
            f"SELECT COUNT(*) FROM training_sessions s JOIN areas a ON a.id = s.area_id WHERE {where}", args
        )
        return int(row[0]) if row else 0

    def _upcoming(
        self, area_paths: list[str], audiences: tuple[str, ...], now: datetime
    ) -> tuple[str, list[object]]:
        in_paths, path_args = self.conn.in_list("a.path", area_paths)
        in_audiences, audience_args = self.conn.in_list("s.audience", audiences)
        where = f"s.status = 'scheduled' AND s.starts_at > ? AND {in_paths} AND {in_audiences}"
        return where, [to_db(now), *path_args, *audience_args]

    async def in_scope(
        self, scope_path: str | None, since: datetime, limit: int = 10, offset: int = 0
    ) -> list[TrainingSession]:
        """Sessions (any status) in an area and below (None: everywhere) starting after ``since``."""
        where, args = _in_scope(scope_path, since)
        rows = await self.conn.fetch_all(
            f"SELECT {_COLUMNS} FROM training_sessions s JOIN areas a ON a.id = s.area_id"
            f" WHERE {where} ORDER BY s.starts_at, s.id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [_session(r) for r in rows]

    async def count_in_scope(self, scope_path: str | None, since: datetime) -> int:
        where, args = _in_scope(scope_path, since)
        row = await self.conn.fetch_one(
            f"SELECT COUNT(*) FROM training_sessions s JOIN areas a ON a.id = s.area_id WHERE {where}", args
        )
        return int(row[0]) if row else 0

    async def begun_unclosed(self, now: datetime, limit: int = 500) -> list[int]:
        """Sessions that have begun but whose unsent reminders were not yet withdrawn."""
        rows = await self.conn.fetch_all(
            "SELECT id FROM training_sessions WHERE reminders_closed = 0 AND starts_at <= ?"
            " ORDER BY starts_at LIMIT ?",
            (to_db(now), limit),
        )
        return [int(r[0]) for r in rows]

    async def mark_closed(self, session_ids: list[int]) -> None:
        await self.conn.execute_many(
            "UPDATE training_sessions SET reminders_closed = 1 WHERE id = ?", [(i,) for i in session_ids]
        )

    async def with_free_places(self, now: datetime, limit: int = 100) -> list[int]:
        """Upcoming sessions with someone waiting and fewer confirmed than places."""
        rows = await self.conn.fetch_all(
            "SELECT s.id FROM training_sessions s WHERE s.status = 'scheduled' AND s.starts_at > ?"
            " AND EXISTS (SELECT 1 FROM training_signups w WHERE w.session_id = s.id"
            "             AND w.status = 'waiting')"
            " AND (SELECT COUNT(*) FROM training_signups c WHERE c.session_id = s.id"
            "      AND c.status = 'confirmed') < s.capacity"
            " ORDER BY s.starts_at LIMIT ?",
            (to_db(now), limit),
        )
        return [int(r[0]) for r in rows]

    async def count(self) -> int:
        row = await self.conn.fetch_one("SELECT COUNT(*) FROM training_sessions")
        return int(row[0]) if row else 0
