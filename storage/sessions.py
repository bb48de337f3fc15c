"""Training sessions (hội nghị tập huấn) and information sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.timefmt import from_db, to_db


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
    status: str


def _session(row: aiosqlite.Row) -> TrainingSession:
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
    )


class SessionsRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

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
    ) -> int:
        cur = await self.conn.execute(
            "INSERT INTO training_sessions (title, starts_at, duration_min, place, audience,"
            " area_id, capacity, description, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def upcoming(
        self, area_paths: list[str], audiences: tuple[str, ...], now: datetime, limit: int = 10
    ) -> list[TrainingSession]:
        """Scheduled sessions not yet started whose area is one of ``area_paths`` (exact)."""
        if not area_paths:
            return []
        area_marks = ",".join("?" for _ in area_paths)
        aud_marks = ",".join("?" for _ in audiences)
        async with self.conn.execute(
            "SELECT s.* FROM training_sessions s JOIN areas a ON a.id = s.area_id"
            f" WHERE s.status = 'scheduled' AND s.starts_at > ? AND a.path IN ({area_marks})"
            f" AND s.audience IN ({aud_marks}) ORDER BY s.starts_at LIMIT ?",
            (to_db(now), *area_paths, *audiences, limit),
        ) as cur:
            return [_session(r) for r in await cur.fetchall()]

    async def count(self) -> int:
        async with self.conn.execute("SELECT COUNT(*) FROM training_sessions") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
