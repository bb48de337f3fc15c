"""Weekly counts for reports, read from the roll-up that EventsRepo.record() keeps.

The roll-up (``event_weeks``) holds, for every area, the events of that area and of everything
below it. That depends on the area tree, so it remembers a fingerprint of the tree it was built
for; when the tree has changed (an area moved to another ward) it is rebuilt from the events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from storage.events import ALL_AREAS
from storage.sql import Connection, Row
from storage.timefmt import to_db


@dataclass(frozen=True, slots=True)
class WeekCount:
    key: str  # an area id, or the channel name in by_channel()
    week: date  # Monday of the local ISO week
    kind: str
    n: int


def _counts(rows: Iterable[Row]) -> list[WeekCount]:
    weeks: dict[str, date] = {}  # thousands of rows share a few dozen weeks: parse each once
    counts = []
    for key, week_text, kind, n in rows:
        week = weeks.get(str(week_text))
        if week is None:
            week = weeks[str(week_text)] = date.fromisoformat(str(week_text))
        counts.append(WeekCount(str(key), week, str(kind), int(str(n))))
    return counts


_REBUILD_AREAS = """
INSERT INTO event_weeks (area_id, week, kind, channel, n)
WITH leaf AS (
    SELECT area_id, local_week, kind, channel, COUNT(*) AS n
    FROM events WHERE area_id IS NOT NULL
    GROUP BY area_id, local_week, kind, channel
), above AS MATERIALIZED (
    SELECT a.id AS area_id, up.id AS up_id
    FROM areas AS a JOIN areas AS up ON substr(a.path, 1, length(up.path)) = up.path
)
SELECT above.up_id, leaf.local_week, leaf.kind, leaf.channel, SUM(leaf.n)
FROM leaf JOIN above ON above.area_id = leaf.area_id
GROUP BY above.up_id, leaf.local_week, leaf.kind, leaf.channel
"""

_REBUILD_ALL = """
INSERT INTO event_weeks (area_id, week, kind, channel, n)
SELECT CAST(? AS TEXT), local_week, kind, channel, COUNT(*) FROM events GROUP BY local_week, kind, channel
"""


class ReportsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def tree_hash(self) -> str:
        """A fingerprint of the area tree as it is now."""
        digest = hashlib.sha256()
        for row in await self.conn.fetch_all("SELECT id, path FROM areas ORDER BY id"):
            digest.update(f"{row[0]}\t{row[1]}\n".encode())
        return digest.hexdigest()

    async def built_for(self) -> str | None:
        """The fingerprint of the tree the roll-up was last rebuilt for (None: never)."""
        row = await self.conn.fetch_one("SELECT tree_hash FROM report_state WHERE id = 1")
        return str(row[0]) if row else None

    async def is_current(self) -> bool:
        return await self.built_for() == await self.tree_hash()

    async def rebuild(self, now: datetime) -> int:
        """Recompute the roll-up from the events for the current tree; return its row count.

        Call inside a write transaction: record() must not add to a half-built roll-up.
        """
        await self.conn.execute("DELETE FROM event_weeks")
        await self.conn.execute(_REBUILD_AREAS)
        await self.conn.execute(_REBUILD_ALL, (ALL_AREAS,))
        await self.conn.execute(
            "INSERT INTO report_state (id, tree_hash, rebuilt_at) VALUES (1, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET"
            " tree_hash = excluded.tree_hash, rebuilt_at = excluded.rebuilt_at",
            (await self.tree_hash(), to_db(now)),
        )
        row = await self.conn.fetch_one("SELECT COUNT(*) FROM event_weeks")
        return int(row[0]) if row else 0

    async def by_area(self, area_ids: Sequence[str], first: date, last: date) -> list[WeekCount]:
        """Counts per area, week and kind (all channels) for weeks first..last (Mondays).

        Each area counts its own events and those of every area below it; ``ALL_AREAS`` counts all.
        """
        if not area_ids:
            return []
        in_areas, area_args = self.conn.in_list("area_id", area_ids)
        sql = (
            "SELECT area_id, week, kind, SUM(n) FROM event_weeks"
            f" WHERE {in_areas} AND week BETWEEN ? AND ?"
            " GROUP BY area_id, week, kind"
        )
        args = [*area_args, first.isoformat(), last.isoformat()]
        return _counts(await self.conn.fetch_all(sql, args))

    async def by_channel(self, area_id: str, first: date, last: date) -> list[WeekCount]:
        """Counts per channel, week and kind for one area (and below) for weeks first..last."""
        return _counts(
            await self.conn.fetch_all(
                "SELECT channel, week, kind, n FROM event_weeks WHERE area_id = ? AND week BETWEEN ? AND ?",
                (area_id, first.isoformat(), last.isoformat()),
            )
        )
