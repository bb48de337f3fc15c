"""Digests already sent: a period of a named digest is claimed once, whatever the processes."""

from __future__ import annotations

from datetime import datetime

from storage.sql import Connection
from storage.timefmt import from_db, to_db


class DigestsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def claim(self, name: str, until: datetime, now: datetime) -> bool:
        """Mark the period of ``name`` ending at ``until`` as sent; False when it already was.
        Call inside the write transaction that queues the digest's messages."""
        changed = await self.conn.execute(
            "INSERT INTO digests (name, period_end, done_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name, period_end) DO NOTHING",
            (name, to_db(until), to_db(now)),
        )
        return changed == 1

    async def last(self, name: str) -> datetime | None:
        """The end of the latest period of ``name`` sent (None: never)."""
        row = await self.conn.fetch_one("SELECT MAX(period_end) FROM digests WHERE name = ?", (name,))
        return from_db(row[0]) if row and row[0] else None
