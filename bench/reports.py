"""Benchmark of the weekly report: 1,000,000 events over 3 years across 200 areas.

    .venv/bin/python bench/reports.py [--events 1000000] [--repeat 7] [--keep DIR]

Prints, for 8 and 52 weeks, for the whole city and for one ward: the time to build the report
data (freshness check and queries on the roll-up), the chat text, the PNG chart and the files,
as min / median / max over the repeats. Also the time to rebuild the roll-up from all events
and the cost of recording one event.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import i18n
from bot.bootstrap import open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.services import Services
from handlers.reports.build import build_report
from handlers.reports.chart import render_png
from handlers.reports.export import to_csv, to_xlsx
from handlers.reports.render import breakdown_text, weekly_text
from storage.areas import AreaInput

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # a Tuesday morning in Vietnam
YEARS = 3
WARDS = 12
KINDS = (
    ("user.registered", 35),
    ("declaration.submitted", 20),
    ("declaration.approved", 15),
    ("declaration.returned", 3),
    ("training.signup", 20),
    ("training.cancel", 7),
)
CHANNELS = (("zalo", 50), ("telegram", 45), ("console", 5))
BATCH = 100_000


def area_tree(count: int) -> list[AreaInput]:
    """A city, WARDS wards and villages spread over them: ``count`` areas in all."""
    areas = [AreaInput("city", None, "Thành phố (bench)", "city")]
    areas += [AreaInput(f"w{w:02d}", "city", f"Phường số {w + 1}", "ward", w) for w in range(WARDS)]
    for v in range(count - 1 - WARDS):
        ward = v % WARDS
        areas.append(AreaInput(f"w{ward:02d}.v{v:03d}", f"w{ward:02d}", f"Tổ dân phố {v + 1}", "group", v))
    return areas


def events(
    count: int, areas: list[AreaInput], seed: int = 1
) -> Iterator[tuple[str, str | None, str, datetime]]:
    rnd = random.Random(seed)
    villages = [a.id for a in areas if a.kind == "group"]
    wards = [a.id for a in areas if a.kind == "ward"]
    kinds = rnd.choices([k for k, _ in KINDS], [w for _, w in KINDS], k=count)
    channels = rnd.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS], k=count)
    span = YEARS * 365 * 86400
    start = NOW - timedelta(seconds=span)
    for i in range(count):
        # Most people live in a village; a few only gave their ward.
        area = rnd.choice(villages) if rnd.random() < 0.95 else rnd.choice(wards)
        yield kinds[i], area, channels[i], start + timedelta(seconds=rnd.randrange(span))


async def timed(repeat: int, work: Callable[[], Awaitable[object]]) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await work()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def spread(times: list[float]) -> str:
    return f"{min(times):7.1f} {statistics.median(times):7.1f} {max(times):7.1f}"


async def bench(args: argparse.Namespace, folder: Path) -> None:
    settings = Settings(database_path=folder / "bench.db")
    async with open_runtime(settings, ManualClock(NOW)) as app:
        services: Services = app.services
        store = services.store
        tree = area_tree(args.areas)
        async with store.write() as tx:
            await tx.areas.upsert_many(tree)

        started = time.perf_counter()
        batch: list[tuple[str, str | None, str, datetime]] = []
        for event in events(args.events, tree):
            batch.append(event)
            if len(batch) == BATCH:
                async with store.write() as tx:
                    await tx.events.import_many(batch)
                batch = []
        if batch:
            async with store.write() as tx:
                await tx.events.import_many(batch)
        print(
            f"generated {args.events:,} events over {YEARS} years in {len(tree)} areas:"
            f" {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        async with store.write() as tx:
            rows = await tx.reports.rebuild(NOW)
        print(f"roll-up rebuilt from all events: {rows:,} rows in {time.perf_counter() - started:.2f} s")

        city = await store.read.areas.get("city")
        ward = await store.read.areas.get("w03")
        print(f"\nreport times in ms, min / median / max of {args.repeat} runs")
        columns = ("data", "data+text", "data+text+PNG", "CSV+XLSX")
        print(f"{'scope':<22}{'weeks':>6}  " + "  ".join(f"{c:^23}" for c in columns))
        with i18n.use("vi"):
            for scope in (city, ward):
                assert scope is not None
                for weeks in (8, 52):

                    async def data(scope=scope, weeks=weeks) -> object:
                        return await build_report(services, scope, weeks)

                    async def text(scope=scope, weeks=weeks) -> object:
                        report = await build_report(services, scope, weeks)
                        return weekly_text(report) + breakdown_text(report)

                    async def chat(scope=scope, weeks=weeks) -> object:
                        report = await build_report(services, scope, weeks)
                        return weekly_text(report) + breakdown_text(report), render_png(report)

                    async def files(scope=scope, weeks=weeks) -> object:
                        report = await build_report(services, scope, weeks)
                        return to_csv(report), to_xlsx(report)

                    await chat()  # warm up: matplotlib and openpyxl load on first use
                    await files()
                    cells = [
                        spread((await timed(args.repeat, work))[0]) for work in (data, text, chat, files)
                    ]
                    label = f"{scope.name} ({scope.id})"
                    print(f"{label:<22}{weeks:>6}  " + "  ".join(cells))

        # What the roll-up costs when an event happens: record() in its own transaction.
        samples = []
        for i in range(args.record):
            started = time.perf_counter()
            async with store.write() as tx:
                await tx.events.record("user.registered", tree[20 + i % 150].id, "zalo", NOW)
            samples.append((time.perf_counter() - started) * 1000)
        print(
            f"\nrecord() of one event in its own transaction: {spread(samples)} ms (min / median / max of"
            f" {args.record})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--record", type=int, default=200, help="record() calls to time")
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(bench(args, args.keep))
    else:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(bench(args, Path(folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
