"""Broadcasts (announcements by officers and admins) and the people they reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.sql import Connection, Row
from storage.timefmt import from_db, opt_from_db, to_db
from storage.users import _COLUMNS as USER_COLUMNS
from storage.users import User, _user


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    author_id: int | None
    author_key: str
    area_id: str | None
    audience: str
    audience_param: str
    text: str
    attachment_id: int | None
    state: str
    scheduled_at: datetime
    created_at: datetime
    fanned_out_at: datetime | None
    finished_at: datetime | None
    recipients: int

    @property
    def batch(self) -> str:
        return f"broadcast:{self.id}"


def _broadcast(r: Row) -> Broadcast:
    return Broadcast(
        id=r["id"],
        author_id=r["author_id"],
        author_key=r["author_key"],
        area_id=r["area_id"],
        audience=r["audience"],
        audience_param=r["audience_param"],
        text=r["text"],
        attachment_id=r["attachment_id"],
        state=r["state"],
        scheduled_at=from_db(r["scheduled_at"]),
        created_at=from_db(r["created_at"]),
        fanned_out_at=opt_from_db(r["fanned_out_at"]),
        finished_at=opt_from_db(r["finished_at"]),
        recipients=r["recipients"],
    )


_U = ", ".join("u." + c.strip() for c in USER_COLUMNS.split(","))


class BroadcastsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def create(
        self,
        *,
        author_id: int | None,
        author_key: str,
        area_id: str | None,
        audience: str,
        audience_param: str,
        text: str,
        attachment_id: int | None,
        scheduled_at: datetime,
        now: datetime,
    ) -> Broadcast:
        new_id = await self.conn.insert(
            "INSERT INTO broadcasts (author_id, author_key, area_id, audience, audience_param, text,"
            " attachment_id, scheduled_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                author_id,
                author_key,
                area_id,
                audience,
                audience_param,
                text,
                attachment_id,
                to_db(scheduled_at),
                to_db(now),
            ),
        )
        found = await self.get(new_id)
        assert found is not None
        return found

    async def get(self, broadcast_id: int, *, for_update: bool = False) -> Broadcast | None:
        """``for_update`` locks the broadcast until the transaction ends (its fan-out)."""
        r = await self.conn.fetch_one(
            "SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,), for_update=for_update
        )
        return _broadcast(r) if r else None

    async def due(self, now: datetime) -> list[Broadcast]:
        rows = await self.conn.fetch_all(
            "SELECT * FROM broadcasts WHERE state = 'scheduled' AND scheduled_at <= ?"
            " ORDER BY scheduled_at, id",
            (to_db(now),),
        )
        return [_broadcast(r) for r in rows]

    async def in_state(self, state: str) -> list[Broadcast]:
        rows = await self.conn.fetch_all("SELECT * FROM broadcasts WHERE state = ? ORDER BY id", (state,))
        return [_broadcast(r) for r in rows]

    async def recent(self, limit: int = 20, area_path: str | None = None) -> list[Broadcast]:
        if area_path is None:
            sql, args = "SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,)
        else:
            sql = (
                "SELECT b.* FROM broadcasts b JOIN areas a ON a.id = b.area_id"
                " WHERE substr(a.path, 1, ?) = ? ORDER BY b.id DESC LIMIT ?"
            )
            args = (len(area_path), area_path, limit)  # type: ignore[assignment]
        rows = await self.conn.fetch_all(sql, args)
        return [_broadcast(r) for r in rows]

    async def scheduled(self, area_path: str | None = None) -> list[Broadcast]:
        """Broadcasts waiting for their time, soonest first: in an area and below (or all)."""
        if area_path is None:
            sql = "SELECT * FROM broadcasts WHERE state = 'scheduled' ORDER BY scheduled_at, id"
            args: tuple[object, ...] = ()
        else:
            sql = (
                "SELECT b.* FROM broadcasts b JOIN areas a ON a.id = b.area_id"
                " WHERE b.state = 'scheduled' AND substr(a.path, 1, ?) = ? ORDER BY b.scheduled_at, b.id"
            )
            args = (len(area_path), area_path)
        return [_broadcast(r) for r in await self.conn.fetch_all(sql, args)]

    async def reschedule(self, broadcast_id: int, when: datetime) -> bool:
        """A new time for a broadcast still waiting; False when it has gone out or was cancelled."""
        changed = await self.conn.execute(
            "UPDATE broadcasts SET scheduled_at = ? WHERE id = ? AND state = 'scheduled'",
            (to_db(when), broadcast_id),
        )
        return changed == 1

    async def set_text(self, broadcast_id: int, text: str) -> bool:
        """A new text for a broadcast still waiting; False when it has gone out or was cancelled."""
        changed = await self.conn.execute(
            "UPDATE broadcasts SET text = ? WHERE id = ? AND state = 'scheduled'", (text, broadcast_id)
        )
        return changed == 1

    async def mark_fanned_out(self, broadcast_id: int, recipients: int, now: datetime) -> bool:
        changed = await self.conn.execute(
            "UPDATE broadcasts SET state = 'sending', recipients = ?, fanned_out_at = ?"
            " WHERE id = ? AND state = 'scheduled'",
            (recipients, to_db(now), broadcast_id),
        )
        return changed == 1

    async def mark_done(self, broadcast_id: int, now: datetime) -> bool:
        changed = await self.conn.execute(
            "UPDATE broadcasts SET state = 'done', finished_at = ? WHERE id = ? AND state = 'sending'",
            (to_db(now), broadcast_id),
        )
        return changed == 1

    async def reopen(self, broadcast_id: int) -> bool:
        """Back to 'sending' after rows were queued again (a new report follows)."""
        changed = await self.conn.execute(
            "UPDATE broadcasts SET state = 'sending', finished_at = NULL WHERE id = ? AND state = 'done'",
            (broadcast_id,),
        )
        return changed == 1

    async def cancel(self, broadcast_id: int) -> bool:
        changed = await self.conn.execute(
            "UPDATE broadcasts SET state = 'cancelled' WHERE id = ? AND state = 'scheduled'", (broadcast_id,)
        )
        return changed == 1

    async def area_audience(
        self, area_path: str | None, kind: str = "area", param: str = "", *, announcements_only: bool = True
    ) -> list[User]:
        """People living in an area (or everyone), narrowed by the audience kind:
        "declared"/"not_declared" (a declaration for campaign year ``param``), or "session"
        (signed up, confirmed or waiting, for session ``param``)."""
        where = ["1 = 1"]
        args: list[object] = []
        if area_path is not None:
            where.append("substr(a.path, 1, ?) = ?")
            args += [len(area_path), area_path]
        if announcements_only:
            where.append("u.announcements = 1")
        if kind in ("declared", "not_declared"):
            negate = "NOT " if kind == "not_declared" else ""
            where.append(
                f"{negate}EXISTS (SELECT 1 FROM declarations d WHERE d.user_id = u.id AND d.year = ?)"
            )
            args.append(int(param))
        elif kind == "session":
            where.append(
                "u.id IN (SELECT s.user_id FROM training_signups s"
                " WHERE s.session_id = ? AND s.status IN ('confirmed', 'waiting'))"
            )
            args.append(int(param))
        sql = (
            f"SELECT {_U} FROM users u LEFT JOIN areas a ON a.id = u.area_id"
            f" WHERE {' AND '.join(where)} ORDER BY u.id"
        )
        rows = await self.conn.fetch_all(sql, args)
        return [_user(r) for r in rows]
