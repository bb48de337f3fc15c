"""Family self-declarations ("Gia đình học tập") and their history of versions and reviews.

Changes are conditional on the version the caller saw (optimistic concurrency): an amendment or
a review of a version that has moved on changes nothing and reports it, so two officers acting on
the same declaration at once cannot both succeed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.sql import Connection, Row
from storage.timefmt import from_db, opt_from_db, to_db

STATUSES = ("submitted", "approved", "returned")
AMENDABLE = ("submitted", "returned")


@dataclass(frozen=True, slots=True)
class Declaration:
    id: int
    user_id: int
    year: int
    area_id: str
    head_name: str
    data: dict[str, Any]
    assessment: list[dict[str, Any]]
    status: str
    version: int
    review_reason: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def amendable(self) -> bool:
        return self.status in AMENDABLE


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    version: int
    action: str
    actor_id: int | None
    actor_role: str
    at: datetime
    data: dict[str, Any] | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """A version a family sent (its first, or an amendment), with where the declaration is now."""

    declaration_id: int
    version: int
    action: str  # submitted | amended
    at: datetime
    area_id: str
    area_path: str
    head_name: str
    status: str


def _declaration(row: Row) -> Declaration:
    return Declaration(
        id=row["id"],
        user_id=row["user_id"],
        year=row["year"],
        area_id=row["area_id"],
        head_name=row["head_name"],
        data=json.loads(row["data"]),
        assessment=json.loads(row["assessment"]),
        status=row["status"],
        version=row["version"],
        review_reason=row["review_reason"],
        reviewed_by=row["reviewed_by"],
        reviewed_at=opt_from_db(row["reviewed_at"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_COLUMNS = (
    "d.id, d.user_id, d.year, d.area_id, d.head_name, d.data, d.assessment, d.status, d.version,"
    " d.review_reason, d.reviewed_by, d.reviewed_at, d.created_at, d.updated_at"
)


class DeclarationsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def create(
        self,
        *,
        user_id: int,
        year: int,
        area_id: str,
        head_name: str,
        head_fold: str,
        data: dict[str, Any],
        assessment: list[dict[str, Any]],
        now: datetime,
    ) -> Declaration | None:
        """Insert version 1; None when this household already declared for ``year``."""
        stamp = to_db(now)
        row = await self.conn.fetch_one(
            "INSERT INTO declarations (user_id, year, area_id, head_name, head_fold, data, assessment,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(user_id, year) DO NOTHING RETURNING id",
            (user_id, year, area_id, head_name, head_fold, _json(data), _json(assessment), stamp, stamp),
        )
        if row is None:
            return None
        return await self.get(int(row[0]))

    async def get(self, declaration_id: int, *, for_update: bool = False) -> Declaration | None:
        """``for_update`` locks the declaration until the transaction ends: a review decides on
        the version it locked, and a second reviewer waits, then sees it decided."""
        row = await self.conn.fetch_one(
            f"SELECT {_COLUMNS} FROM declarations d WHERE d.id = ?", (declaration_id,), for_update=for_update
        )
        return _declaration(row) if row else None

    async def for_user(self, user_id: int, year: int) -> Declaration | None:
        row = await self.conn.fetch_one(
            f"SELECT {_COLUMNS} FROM declarations d WHERE d.user_id = ? AND d.year = ?", (user_id, year)
        )
        return _declaration(row) if row else None

    async def all_for_user(self, user_id: int) -> list[Declaration]:
        rows = await self.conn.fetch_all(
            f"SELECT {_COLUMNS} FROM declarations d WHERE d.user_id = ? ORDER BY d.year DESC", (user_id,)
        )
        return [_declaration(r) for r in rows]

    async def amend(
        self,
        declaration_id: int,
        expected_version: int,
        *,
        area_id: str,
        head_name: str,
        head_fold: str,
        data: dict[str, Any],
        assessment: list[dict[str, Any]],
        now: datetime,
    ) -> Declaration | None:
        """A new version, back to 'submitted'; None if reviewed or changed since ``expected_version``."""
        changed = await self.conn.execute(
            "UPDATE declarations SET area_id = ?, head_name = ?, head_fold = ?, data = ?, assessment = ?,"
            " status = 'submitted', version = version + 1, updated_at = ?"
            " WHERE id = ? AND version = ? AND status IN ('submitted', 'returned')",
            (
                area_id,
                head_name,
                head_fold,
                _json(data),
                _json(assessment),
                to_db(now),
                declaration_id,
                expected_version,
            ),
        )
        if changed != 1:
            return None
        return await self.get(declaration_id)

    async def review(
        self,
        declaration_id: int,
        expected_version: int,
        *,
        status: str,
        reviewer_id: int,
        reason: str | None,
        now: datetime,
    ) -> Declaration | None:
        """Approve or return a pending declaration; None if someone acted first or it changed."""
        if status not in ("approved", "returned"):
            raise ValueError(f"not a review outcome: {status}")
        stamp = to_db(now)
        changed = await self.conn.execute(
            "UPDATE declarations SET status = ?, review_reason = ?, reviewed_by = ?, reviewed_at = ?,"
            " updated_at = ? WHERE id = ? AND version = ? AND status = 'submitted'",
            (status, reason, reviewer_id, stamp, stamp, declaration_id, expected_version),
        )
        if changed != 1:
            return None
        return await self.get(declaration_id)

    async def add_history(
        self,
        declaration_id: int,
        version: int,
        action: str,
        *,
        actor_id: int | None,
        actor_role: str,
        now: datetime,
        data: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO declaration_history (declaration_id, version, action, actor_id, actor_role, at,"
            " data, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                declaration_id,
                version,
                action,
                actor_id,
                actor_role,
                to_db(now),
                _json(data) if data is not None else None,
                reason,
            ),
        )

    async def history(self, declaration_id: int) -> list[HistoryEntry]:
        rows = await self.conn.fetch_all(
            "SELECT version, action, actor_id, actor_role, at, data, reason FROM declaration_history"
            " WHERE declaration_id = ? ORDER BY id",
            (declaration_id,),
        )
        return [
            HistoryEntry(
                version=r["version"],
                action=r["action"],
                actor_id=r["actor_id"],
                actor_role=r["actor_role"],
                at=from_db(r["at"]),
                data=json.loads(r["data"]) if r["data"] is not None else None,
                reason=r["reason"],
            )
            for r in rows
        ]

    async def changes(self, since: datetime, until: datetime) -> list[Change]:
        """Versions families sent in [since, until), oldest first (declarations deleted since are
        gone with their history)."""
        rows = await self.conn.fetch_all(
            "SELECT h.declaration_id, h.version, h.action, h.at, d.area_id, a.path, d.head_name, d.status"
            " FROM declaration_history h JOIN declarations d ON d.id = h.declaration_id"
            " JOIN areas a ON a.id = d.area_id"
            " WHERE h.action IN ('submitted', 'amended') AND h.at >= ? AND h.at < ? ORDER BY h.id",
            (to_db(since), to_db(until)),
        )
        return [
            Change(
                declaration_id=int(r[0]),
                version=int(r[1]),
                action=str(r[2]),
                at=from_db(r[3]),
                area_id=str(r[4]),
                area_path=str(r[5]),
                head_name=str(r[6]),
                status=str(r[7]),
            )
            for r in rows
        ]

    async def pending(self, area_path: str | None, limit: int, offset: int = 0) -> list[Declaration]:
        """Declarations waiting for review in an area and below (or everywhere), oldest first."""
        sql = (
            f"SELECT {_COLUMNS} FROM declarations d JOIN areas a ON a.id = d.area_id"
            " WHERE d.status = 'submitted' AND substr(a.path, 1, ?) = ?"
            " ORDER BY d.updated_at, d.id LIMIT ? OFFSET ?"
        )
        path = area_path or "/"
        rows = await self.conn.fetch_all(sql, (len(path), path, limit, offset))
        return [_declaration(r) for r in rows]

    async def count_pending(self, area_path: str | None) -> int:
        path = area_path or "/"
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) FROM declarations d JOIN areas a ON a.id = d.area_id"
            " WHERE d.status = 'submitted' AND substr(a.path, 1, ?) = ?",
            (len(path), path),
        )
        return int(row[0]) if row else 0

    async def same_head(self, year: int, area_id: str, head_fold: str, exclude_id: int) -> list[int]:
        """Other declarations of the year in the same area naming the same head (likely duplicates)."""
        rows = await self.conn.fetch_all(
            "SELECT id FROM declarations WHERE year = ? AND area_id = ? AND head_fold = ? AND id != ?"
            " ORDER BY id",
            (year, area_id, head_fold, exclude_id),
        )
        return [int(r[0]) for r in rows]

    async def reviews_by(self, user_id: int) -> int:
        """How many reviews a person made (shown to them with their data)."""
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) FROM declaration_history WHERE actor_id = ?"
            " AND action IN ('approved', 'returned')",
            (user_id,),
        )
        return int(row[0]) if row else 0

    async def count_for_user(self, user_id: int) -> int:
        row = await self.conn.fetch_one("SELECT COUNT(*) FROM declarations WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0
