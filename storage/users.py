"""People who accepted the consent notice, and their roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.sql import Connection, Row
from storage.timefmt import from_db, to_db


@dataclass(frozen=True, slots=True)
class Role:
    role: str  # "officer" or "admin"
    area_id: str | None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    key: str
    channel: str
    chat_id: str
    display_name: str
    language: str
    area_id: str | None
    reachable: bool
    announcements: bool
    consent_at: datetime
    created_at: datetime
    roles: tuple[Role, ...] = field(default=())


_COLUMNS = (
    "id, key, channel, chat_id, display_name, language, area_id, reachable, announcements, consent_at,"
    " created_at"
)


def _user(row: Row, roles: tuple[Role, ...] = ()) -> User:
    return User(
        id=row["id"],
        key=row["key"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        display_name=row["display_name"],
        language=row["language"],
        area_id=row["area_id"],
        reachable=bool(row["reachable"]),
        announcements=bool(row["announcements"]),
        consent_at=from_db(row["consent_at"]),
        created_at=from_db(row["created_at"]),
        roles=roles,
    )


class UsersRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def by_key(self, key: str) -> User | None:
        row = await self.conn.fetch_one(f"SELECT {_COLUMNS} FROM users WHERE key = ?", (key,))
        if row is None:
            return None
        return _user(row, await self.roles(row["id"]))

    async def by_id(self, user_id: int) -> User | None:
        row = await self.conn.fetch_one(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,))
        if row is None:
            return None
        return _user(row, await self.roles(row["id"]))

    async def roles(self, user_id: int) -> tuple[Role, ...]:
        rows = await self.conn.fetch_all(
            "SELECT role, area_id FROM roles WHERE user_id = ? ORDER BY role", (user_id,)
        )
        return tuple(Role(r["role"], r["area_id"]) for r in rows)

    async def create(
        self,
        *,
        key: str,
        channel: str,
        chat_id: str,
        display_name: str,
        language: str,
        now: datetime,
    ) -> User:
        stamp = to_db(now)
        await self.conn.execute(
            "INSERT INTO users (key, channel, chat_id, display_name, language, consent_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET chat_id = excluded.chat_id, updated_at = excluded.updated_at",
            (key, channel, chat_id, display_name[:128], language, stamp, stamp, stamp),
        )
        user = await self.by_key(key)
        assert user is not None
        return user

    async def set_area(self, user_id: int, area_id: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET area_id = ?, updated_at = ? WHERE id = ?",
            (area_id, to_db(now), user_id),
        )

    async def set_language(self, user_id: int, language: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET language = ?, updated_at = ? WHERE id = ?",
            (language, to_db(now), user_id),
        )

    async def touch_contact(self, user_id: int, chat_id: str, display_name: str, now: datetime) -> None:
        """Keep the address and name the platform reports current; the person is reachable."""
        await self.conn.execute(
            "UPDATE users SET chat_id = ?, display_name = ?, reachable = 1, updated_at = ?"
            " WHERE id = ? AND (chat_id != ? OR display_name != ? OR reachable = 0)",
            (chat_id, display_name[:128], to_db(now), user_id, chat_id, display_name[:128]),
        )

    async def set_reachable(self, user_id: int, reachable: bool, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET reachable = ?, updated_at = ? WHERE id = ?",
            (int(reachable), to_db(now), user_id),
        )

    async def set_announcements(self, user_id: int, wanted: bool, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE users SET announcements = ?, updated_at = ? WHERE id = ?",
            (int(wanted), to_db(now), user_id),
        )

    async def grant(self, user_id: int, role: str, area_id: str | None, by: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO roles (user_id, role, area_id, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(user_id, role) DO UPDATE SET area_id = excluded.area_id,"
            " granted_by = excluded.granted_by, granted_at = excluded.granted_at",
            (user_id, role, area_id, by, to_db(now)),
        )

    async def revoke(self, user_id: int, role: str) -> bool:
        changed = await self.conn.execute("DELETE FROM roles WHERE user_id = ? AND role = ?", (user_id, role))
        return changed > 0

    async def officers_over(self, area_path: str) -> list[tuple[User, str]]:
        """Officers whose area is the area at ``area_path`` or one above it, each with the path of
        the area they serve: the nearest (deepest) first."""
        columns = ", ".join("u." + c.strip() for c in _COLUMNS.split(","))
        rows = await self.conn.fetch_all(
            f"SELECT {columns}, a.path AS officer_path FROM roles r"
            " JOIN users u ON u.id = r.user_id JOIN areas a ON a.id = r.area_id"
            " WHERE r.role = 'officer' AND substr(CAST(? AS TEXT), 1, length(a.path)) = a.path"
            " ORDER BY length(a.path) DESC, u.id",
            (area_path,),
        )
        return [(_user(r, await self.roles(r["id"])), str(r["officer_path"])) for r in rows]

    async def delete(self, user_id: int) -> None:
        await self.conn.execute("DELETE FROM users WHERE id = ?", (user_id,))

    async def list(self, area_path: str | None = None, limit: int = 50, offset: int = 0) -> list[User]:
        """People whose area lies in ``area_path`` (or everyone), newest first."""
        if area_path is None:
            sql = f"SELECT {_COLUMNS} FROM users ORDER BY id DESC LIMIT ? OFFSET ?"
            args: tuple[object, ...] = (limit, offset)
        else:
            sql = (
                f"SELECT {', '.join('u.' + c.strip() for c in _COLUMNS.split(','))}"
                " FROM users u JOIN areas a ON a.id = u.area_id"
                " WHERE substr(a.path, 1, ?) = ? ORDER BY u.id DESC LIMIT ? OFFSET ?"
            )
            args = (len(area_path), area_path, limit, offset)
        rows = await self.conn.fetch_all(sql, args)
        return [_user(r, await self.roles(r["id"])) for r in rows]

    async def count(self, area_path: str | None = None) -> int:
        args: tuple[object, ...] = ()
        if area_path is None:
            sql = "SELECT COUNT(*) FROM users"
        else:
            sql = (
                "SELECT COUNT(*) FROM users u JOIN areas a ON a.id = u.area_id WHERE substr(a.path, 1, ?) = ?"
            )
            args = (len(area_path), area_path)
        row = await self.conn.fetch_one(sql, args)
        return int(row[0]) if row else 0
