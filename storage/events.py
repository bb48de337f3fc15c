"""Anonymous counting events (registrations, declarations, sign-ups) for weekly reports.

An event keeps what happened, where (the person's home area), on which channel and when; never
who. Each event also adds one to the weekly roll-up (``event_weeks``) of its area and of every
area above it, in the same transaction, so reports never scan the events themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.sql import Connection
from storage.timefmt import to_db

# Weeks are the association's weeks: ISO weeks (Monday to Sunday) in Vietnam's local time.
WEEK_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ALL_AREAS = ""  # the roll-up key that counts every event, with or without an area

_UPSERT_WEEK = (
    "INSERT INTO event_weeks (area_id, week, kind, channel, n) VALUES (?, ?, ?, ?, 1)"
    " ON CONFLICT (area_id, week, kind, channel) DO UPDATE SET n = event_weeks.n + 1"
)


def week_of(moment: datetime) -> date:
    """The Monday of the local ISO week that ``moment`` (an aware time) falls in."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: weeks need an aware time")
    local = moment.astimezone(WEEK_TZ).date()
    return local - timedelta(days=local.weekday())


def area_ids_in_path(path: str) -> list[str]:
    """'/vinh_yen/lien_bao/lien_bao.tdp1/' → ['vinh_yen', 'lien_bao', 'lien_bao.tdp1']."""
    return [part for part in path.split("/") if part]


class EventsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def record(self, kind: str, area_id: str | None, channel: str, now: datetime) -> None:
        week = week_of(now).isoformat()
        await self.conn.execute(
            "INSERT INTO events (kind, area_id, channel, occurred_at, local_week) VALUES (?, ?, ?, ?, ?)",
            (kind, area_id, channel, to_db(now), week),
        )
        keys = [ALL_AREAS]
        if area_id is not None:
            row = await self.conn.fetch_one("SELECT path FROM areas WHERE id = ?", (area_id,))
            if row is not None:
                keys += area_ids_in_path(row[0])
        await self.conn.execute_many(_UPSERT_WEEK, [(key, week, kind, channel) for key in keys])

    async def import_many(self, events: Iterable[tuple[str, str | None, str, datetime]]) -> int:
        """Store many (kind, area_id, channel, when) at once, e.g. counts kept before the bot.

        The roll-up is not touched: it is marked stale and rebuilt by the next report.
        """
        rows = [
            (kind, area, channel, to_db(when), week_of(when).isoformat())
            for kind, area, channel, when in events
        ]
        await self.conn.execute_many(
            "INSERT INTO events (kind, area_id, channel, occurred_at, local_week) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        await self.conn.execute("DELETE FROM report_state")
        return len(rows)

    async def count(self, kind: str) -> int:
        row = await self.conn.fetch_one("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,))
        return int(row[0]) if row else 0
