"""One-time invite codes that grant a role for an area, and codes sent before consent."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from storage.sql import Connection, Row
from storage.timefmt import from_db, opt_from_db, to_db


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    role: str
    area_id: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None


def _invite(row: Row) -> Invite:
    return Invite(
        code=row["code"],
        role=row["role"],
        area_id=row["area_id"],
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),
        expires_at=from_db(row["expires_at"]),
        used_by=row["used_by"],
        used_at=opt_from_db(row["used_at"]),
    )


class InvitesRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def create(
        self, code: str, role: str, area_id: str | None, by: str, now: datetime, expires: datetime
    ) -> Invite:
        await self.conn.execute(
            "INSERT INTO invites (code, role, area_id, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code, role, area_id, by, to_db(now), to_db(expires)),
        )
        invite = await self.get(code)
        assert invite is not None
        return invite

    async def get(self, code: str, *, for_update: bool = False) -> Invite | None:
        """``for_update`` locks the invite until the transaction ends (deciding whether it can
        still be used)."""
        row = await self.conn.fetch_one(
            "SELECT * FROM invites WHERE code = ?", (code,), for_update=for_update
        )
        return _invite(row) if row else None

    async def claim(self, code: str, user_id: int, now: datetime) -> Invite | None:
        """Mark an unused, unexpired invite as used by ``user_id``; None if it cannot be used."""
        stamp = to_db(now)
        changed = await self.conn.execute(
            "UPDATE invites SET used_by = ?, used_at = ?"
            " WHERE code = ? AND used_at IS NULL AND expires_at > ?",
            (user_id, stamp, code, stamp),
        )
        if changed != 1:
            return None
        return await self.get(code)

    async def list_open(self, now: datetime) -> list[Invite]:
        rows = await self.conn.fetch_all(
            "SELECT * FROM invites WHERE used_at IS NULL AND expires_at > ? ORDER BY created_at",
            (to_db(now),),
        )
        return [_invite(r) for r in rows]


def key_hash(key: str) -> str:
    """What ``pending_invites`` keeps of a person's channel key: a SHA-256, never the key."""
    return hashlib.sha256(f"pending-invite:{key}".encode()).hexdigest()


class PendingInvitesRepo:
    """Invite codes sent with /start before consent: keyed by ``key_hash``, holding only the code
    and when it lapses. Nothing about the person is stored before consent."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def keep(self, key: str, code: str, now: datetime, until: datetime) -> None:
        """Remember ``code`` for ``key`` until ``until`` (a newer code replaces an older one);
        codes that have lapsed, anyone's, are deleted on the way."""
        await self.conn.execute("DELETE FROM pending_invites WHERE expires_at <= ?", (to_db(now),))
        await self.conn.execute(
            "INSERT INTO pending_invites (key_hash, code, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key_hash) DO UPDATE SET code = excluded.code, expires_at = excluded.expires_at",
            (key_hash(key), code, to_db(until)),
        )

    async def code_for(self, key: str, now: datetime) -> str | None:
        """The code kept for ``key`` and not lapsed, or None."""
        row = await self.conn.fetch_one(
            "SELECT code FROM pending_invites WHERE key_hash = ? AND expires_at > ?",
            (key_hash(key), to_db(now)),
        )
        return str(row["code"]) if row else None

    async def forget(self, key: str, now: datetime) -> None:
        """Delete the code kept for ``key`` (applied or declined), and every lapsed one."""
        await self.conn.execute(
            "DELETE FROM pending_invites WHERE key_hash = ? OR expires_at <= ?", (key_hash(key), to_db(now))
        )
