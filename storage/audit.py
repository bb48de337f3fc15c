"""The audit log: who did what, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.sql import Connection
from storage.timefmt import from_db, to_db


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


class AuditRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def record(self, actor: str, action: str, subject: str, now: datetime, detail: str = "") -> None:
        await self.conn.execute(
            "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (to_db(now), actor, action, subject, detail),
        )

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        rows = await self.conn.fetch_all(
            "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditEntry(from_db(r["at"]), r["actor"], r["action"], r["subject"], r["detail"]) for r in rows
        ]

    async def pseudonymize(self, key: str, alias: str) -> None:
        """Replace a person's identity in past entries once their data is deleted."""
        await self.conn.execute("UPDATE audit_log SET actor = ? WHERE actor = ?", (alias, key))
        await self.conn.execute("UPDATE audit_log SET subject = ? WHERE subject = ?", (alias, key))
