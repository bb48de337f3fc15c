"""The weekly roll-up: kept by record(), equal to a rebuild, rebuilt when the area tree changes."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from bot.bootstrap import Runtime
from handlers.reports.build import build_report, ensure_current
from storage.areas import AreaInput
from storage.events import ALL_AREAS, week_of
from storage.reports import WeekCount

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST, LAST = date(2020, 1, 6), date(2030, 1, 7)
KINDS = ("user.registered", "declaration.submitted", "training.signup", "training.cancel")


def _order(row: WeekCount) -> tuple[str, date, str, int]:
    return (row.key, row.week, row.kind, row.n)


async def _snapshot(app: Runtime) -> tuple[list[WeekCount], list[WeekCount]]:
    store = app.services.store.read
    keys = [ALL_AREAS, *(a.id for a in await store.areas.all())]
    by_area = await store.reports.by_area(keys, FIRST, LAST)
    by_channel = [row for key in keys for row in await store.reports.by_channel(key, FIRST, LAST)]
    return sorted(by_area, key=_order), sorted(by_channel, key=_order)


async def test_record_keeps_the_same_roll_up_as_a_rebuild(app: Runtime) -> None:
    await ensure_current(app.services)
    areas = [a.id for a in await app.services.store.read.areas.all()]
    rnd = random.Random(7)
    start = datetime(2025, 6, 1, tzinfo=UTC)
    async with app.services.store.write() as tx:
        for _ in range(600):
            when = start + timedelta(minutes=rnd.randrange(60 * 24 * 400))
            area = rnd.choice([*areas, None])
            await tx.events.record(rnd.choice(KINDS), area, rnd.choice(("telegram", "zalo")), when)
    kept = await _snapshot(app)
    assert sum(r.n for r in kept[0] if r.key == ALL_AREAS) == 600
    async with app.services.store.write() as tx:
        await tx.reports.rebuild(app.services.clock.now())
    assert await _snapshot(app) == kept


async def test_moving_an_area_rebuilds_the_roll_up(app: Runtime) -> None:
    when = datetime(2026, 11, 10, 9, tzinfo=VN)
    async with app.services.store.write() as tx:
        await tx.events.record("user.registered", "lien_bao.tdp3", "zalo", when)
        await tx.events.record("user.registered", "lien_bao.tdp1", "zalo", when)
    store = app.services.store.read
    lien_bao, hoi_hop = await store.areas.get("lien_bao"), await store.areas.get("hoi_hop")
    week = week_of(when)
    assert (await build_report(app.services, lien_bao, 4)).total.get(week, "user.registered") == 2
    assert await store.reports.is_current()

    # The association reorganises: Tổ dân phố 3 now belongs to Phường Hội Hợp.
    async with app.services.store.write() as tx:
        await tx.areas.upsert_many([AreaInput("lien_bao.tdp3", "hoi_hop", "Tổ dân phố 3", "group")])
    assert not await store.reports.is_current()
    ward = await build_report(app.services, hoi_hop, 4)
    assert ward.total.get(week, "user.registered") == 1
    assert [p.label for p in ward.parts if not p.series.is_zero()] == ["Tổ dân phố 3"]
    assert (await build_report(app.services, lien_bao, 4)).total.get(week, "user.registered") == 1
    assert await store.reports.is_current()


def test_migration_fills_the_local_week_of_existing_events() -> None:
    """Events stored before 0005 get their week from their UTC time (Vietnam: UTC+7)."""
    sql = (resources.files("storage") / "migrations" / "0005_reports.sql").read_text(encoding="utf-8")
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "CREATE TABLE areas (id TEXT PRIMARY KEY, path TEXT);"
        "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, area_id TEXT,"
        " channel TEXT NOT NULL DEFAULT '', occurred_at TEXT NOT NULL);"
    )
    moments = [
        datetime(2026, 11, 22, 23, 59, 59, tzinfo=VN),  # Sunday night
        datetime(2026, 11, 23, 0, 0, tzinfo=VN),  # Monday midnight
        datetime(2026, 1, 1, 6, 59, tzinfo=VN),  # the previous UTC day
        datetime(2024, 2, 29, 12, tzinfo=VN),
    ]
    for moment in moments:
        stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        conn.execute("INSERT INTO events (kind, occurred_at) VALUES ('user.registered', ?)", (stamp,))
    conn.executescript(sql)
    weeks = [row[0] for row in conn.execute("SELECT local_week FROM events ORDER BY id")]
    assert weeks == [week_of(m).isoformat() for m in moments]
    assert weeks[:2] == ["2026-11-16", "2026-11-23"]


async def test_imported_events_are_counted_after_a_rebuild(app: Runtime) -> None:
    await ensure_current(app.services)
    when = datetime(2026, 11, 3, 20, tzinfo=VN)
    async with app.services.store.write() as tx:
        await tx.events.import_many([("training.signup", "hoi_hop.thon_xuan_hoa", "zalo", when)] * 5)
        await tx.events.record("training.signup", "hoi_hop.thon_xuan_hoa", "zalo", when)
    assert not await app.services.store.read.reports.is_current()
    report = await build_report(app.services, await app.services.store.read.areas.get("hoi_hop"), 8)
    assert report.total.total("training.signup") == 6
    assert await app.services.store.read.reports.is_current()
