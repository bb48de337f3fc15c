"""Anonymous counting events (registrations, declarations, sign-ups) for weekly reports."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.timefmt import to_db


class EventsRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def record(self, kind: str, area_id: str | None, channel: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO events (kind, area_id, channel, occurred_at) VALUES (?, ?, ?, ?)",
            (kind, area_id, channel, to_db(now)),
        )

    async def count(self, kind: str) -> int:
        async with self.conn.execute("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
