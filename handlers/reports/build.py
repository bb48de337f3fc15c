"""Building a weekly report from the roll-up, and finding the areas a viewer may ask for."""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

from bot.choice import Option, match
from bot.i18n import _
from bot.model import CHANNELS
from bot.services import Services
from handlers.reports.model import KINDS, Line, Series, WeeklyReport
from storage.areas import Area
from storage.events import ALL_AREAS, week_of
from storage.reports import WeekCount

log = logging.getLogger(__name__)

DEFAULT_WEEKS = 8
MAX_WEEKS = 156  # three years


def last_weeks(now: datetime, count: int) -> tuple[date, ...]:
    """The Mondays of the last ``count`` local weeks, oldest first, this week last."""
    current = week_of(now)
    return tuple(current - timedelta(weeks=i) for i in range(count - 1, -1, -1))


async def ensure_current(services: Services) -> bool:
    """Rebuild the roll-up when the area tree changed since it was built; True if rebuilt."""
    if await services.store.read.reports.is_current():
        return False
    async with services.store.write() as tx:
        if await tx.reports.is_current():  # someone else rebuilt it while we waited
            return False
        started = time.perf_counter()
        rows = await tx.reports.rebuild(services.clock.now())
    log.info(
        "report roll-up rebuilt for the current area tree: %d rows in %.2f s",
        rows,
        time.perf_counter() - started,
    )
    return True


async def top_scope(services: Services) -> Area | None:
    """Where an administrator starts: the single top-level area, or every area (None)."""
    roots = await services.store.read.areas.children(None)
    return roots[0] if len(roots) == 1 else None


def _series(rows: list[WeekCount]) -> dict[str, Series]:
    found: dict[str, Series] = {}
    for row in rows:
        if row.kind in KINDS:
            series = found.get(row.key)
            if series is None:
                series = found[row.key] = Series()
            series.add(row.week, row.kind, row.n)
    return found


def _channel_order(name: str) -> tuple[int, str]:
    return (CHANNELS.index(name) if name in CHANNELS else len(CHANNELS), name)


async def build_report(services: Services, scope: Area | None, weeks: int = DEFAULT_WEEKS) -> WeeklyReport:
    """Counts for ``scope`` (None: every area) and the areas one level down, for the last weeks.

    The caller has checked that the viewer may see ``scope``.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}")
    await ensure_current(services)
    store = services.store.read
    now = services.clock.now()
    mondays = last_weeks(now, weeks)
    key = scope.id if scope is not None else ALL_AREAS
    children = await store.areas.children(scope.id if scope is not None else None)
    found = _series(await store.reports.by_area([key, *(c.id for c in children)], mondays[0], mondays[-1]))
    total = found.get(key, Series())
    parts = [Line(child.name, found.get(child.id, Series()), child) for child in children]
    # Events of people whose home is the area itself (or who have no area at all).
    rest = total.minus(p.series for p in parts)
    if children and not rest.is_zero():
        label = _("(no area)") if scope is None else _("(others)")
        parts.append(Line(label, rest))
    by_channel = _series(await store.reports.by_channel(key, mondays[0], mondays[-1]))
    up: Area | None = None
    up_to_all = False
    if scope is not None and scope.parent_id is not None:
        up = await store.areas.get(scope.parent_id)
    elif scope is not None:
        up_to_all = len(await store.areas.children(None)) > 1
    return WeeklyReport(
        title=scope.name if scope is not None else _("All areas"),
        scope=scope,
        up=up,
        up_to_all=up_to_all,
        weeks=mondays,
        current_week=week_of(now),
        total=total,
        parts=tuple(parts),
        channels=tuple(sorted(by_channel.items(), key=lambda item: _channel_order(item[0]))),
    )


async def find_areas(services: Services, query: str, within: Area | None) -> list[Area]:
    """Areas matching a typed id or name (accents optional), only inside ``within`` (None: all)."""
    store = services.store.read
    candidates = await store.areas.subtree(within.id) if within is not None else await store.areas.all()
    wanted = query.strip()
    by_id = [a for a in candidates if a.id == wanted]
    if by_id:
        return by_id
    # The one matcher of typed choices: "p lien bao", "tdp 1", "to 1", "dong da"…
    found = match(wanted, [Option(a.id, a.name) for a in candidates], numbers=False)
    keys = [found.chosen.key] if found.chosen is not None else [o.key for o in found.candidates]
    return [a for a in candidates if a.id in keys]
