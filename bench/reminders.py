"""Benchmark of the reminder scheduler: 10,000 sessions, 100,000 reminders in the database.

    .venv/bin/python bench/reminders.py [--sessions 10000] [--people 5000] [--window 20] [--keep DIR]

Seeds a database (5 people per session, reminders 1 day and 2 hours before), then starts a
fresh process that opens the app and starts the scheduler, as the bot does at start, and prints:
- start-up rebuild: opening the database and ``Scheduler.start()`` with the reminders' due work
  (``ReminderWork``), which decides the reminders that fell due "while the bot was down" (some
  sessions not begun: sent; some begun: skipped) and arms the next wake-up;
- memory: RSS after the rebuild and the peak (VmHWM) at the end;
- lateness of the reminders falling due during a ``--window`` second run (2,000 by default,
  spread evenly): from each reminder's due time until the tick that wrote it to the outbox had
  committed. The scheduler's clock runs in real time from a fixed 10:00 local start, so quiet
  hours never interfere whatever the hour the benchmark runs.
Targets: rebuild ≤ 3 s, RSS ≤ 200 MB, p99 lateness ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.bootstrap import open_runtime
from bot.clock import Clock, ManualClock
from bot.config import Settings
from bot.demo import seed_demo
from bot.scheduler import Scheduler
from handlers.training.reminders import FireReport, plan
from handlers.training.scheduler import ReminderWork
from storage.sessions import DEFAULT_OFFSETS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=TZ).astimezone(UTC)  # the benchmark's "now" at start-up
PER_SESSION = 5  # people signed up per session
OVERDUE_SESSIONS = 50  # reminders due while "down", session not begun: sent at start
BEGUN_SESSIONS = 50  # reminders due while "down", session begun: skipped at start


class RunningClock(Clock):
    """Real time, shifted so that it reads ``start`` at construction."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def session_starts(sessions: int, window: float, due_batch: int) -> list[datetime]:
    """Start times: a batch whose 1-day reminders fall in the window, some overdue, the rest later."""
    in_window = due_batch // PER_SESSION
    starts = [
        T0 + timedelta(days=1, seconds=5 + window * i / max(1, in_window - 1)) for i in range(in_window)
    ]
    starts += [T0 + timedelta(hours=1, minutes=i % 50) for i in range(OVERDUE_SESSIONS)]
    starts += [T0 - timedelta(minutes=10 + i % 50) for i in range(BEGUN_SESSIONS)]
    rest = sessions - len(starts)
    starts += [T0 + timedelta(days=2) + timedelta(minutes=(60 * 24 * 58) * i / rest) for i in range(rest)]
    return starts


async def seed(path: Path, sessions: int, people: int, window: float, due_batch: int) -> dict[str, int]:
    clock = ManualClock(T0 - timedelta(days=3))  # sign-ups happened days before
    settings = Settings(database_path=path)
    async with open_runtime(settings, clock) as app:
        services = app.services
        await seed_demo(services)
        now = clock.now()
        async with services.store.write() as tx:
            user_ids = []
            for i in range(people):
                user = await tx.users.create(
                    key=f"telegram:{100000 + i}",
                    channel="telegram",
                    chat_id=str(100000 + i),
                    display_name=f"Người {i}",
                    language="vi" if i % 10 else "en",
                    now=now,
                )
                user_ids.append(user.id)
        starts = session_starts(sessions, window, due_batch)
        signups: list[tuple[int, int, str]] = []
        reminders: list[tuple[int, int, int, datetime]] = []
        async with services.store.write() as tx:
            for index, start in enumerate(starts):
                session_id = await tx.sessions.create(
                    title=f"Buổi tập huấn số {index}",
                    starts_at=start,
                    duration_min=120,
                    place="Nhà văn hóa",
                    audience="all",
                    area_id="lien_bao",
                    capacity=60,
                    description="",
                    created_by="bench",
                    now=now,
                )
                due = plan(start, DEFAULT_OFFSETS, TZ)
                for k in range(PER_SESSION):
                    user_id = user_ids[(index * PER_SESSION + k) % len(user_ids)]
                    signups.append((session_id, user_id, "confirmed"))
                    reminders += [(session_id, user_id, offset, when) for offset, when in due]
        async with services.store.write() as tx:
            await tx.sessions.signups.add_many(signups, now)
            await tx.sessions.reminders.add_many(reminders)
        return {"sessions": await services.store.read.sessions.count(), "reminders": len(reminders)}


async def measure(path: Path, window: float) -> dict[str, object]:
    # The running bot has python-telegram-bot loaded too: count its memory.
    import bot.channels.telegram  # noqa: F401

    settings = Settings(database_path=path)
    fired: list[float] = []

    started = time.perf_counter()
    clock = RunningClock(T0)
    async with open_runtime(settings, clock) as app:
        opened = time.perf_counter() - started

        def on_fired(report: FireReport) -> None:
            committed = clock.now()
            fired.extend((committed - due).total_seconds() for due, _decided in report.lateness)

        scheduler = Scheduler(app.services)
        reminders = scheduler.add(ReminderWork(app.services, on_fired=on_fired))
        rebuild_report: FireReport = (await scheduler.start())[reminders.name]
        rebuild = time.perf_counter() - started
        rss_after_rebuild = _memory("VmRSS")
        fired.clear()  # the overdue ones sent at start are not "lateness of the run"
        await asyncio.sleep(window + 8)  # the window opens 5 s after start; leave slack after it
        await scheduler.stop()
        counts = await app.services.store.read.sessions.reminders.count_by_state()
    return {
        "rebuild_s": rebuild,
        "open_s": opened,
        "sent_at_start": rebuild_report.queued,
        "skipped_at_start": rebuild_report.skipped,
        "rss_mb": rss_after_rebuild,
        "peak_mb": _memory("VmHWM"),
        "lateness": fired,
        "states": counts,
    }


def _memory(field: str) -> float:
    """Resident memory in MB from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--window", type=float, default=20.0, help="seconds during which reminders fall due")
    parser.add_argument("--due", type=int, default=2_000, help="reminders falling due during the window")
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()

    if args.measure is not None:
        print(json.dumps(asyncio.run(measure(args.measure, args.window))))
        return 0

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    seeded = asyncio.run(seed(path, args.sessions, args.people, args.window, args.due))
    seeding = time.perf_counter() - started
    print(
        f"seeded {seeded['sessions']:,} sessions, {seeded['reminders']:,} reminders "
        f"({args.people:,} people, {PER_SESSION} per session) in {seeding:.1f} s"
    )
    # A fresh process, so that memory is what a bot starting on this database would use.
    child = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), "--window", str(args.window)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        return 1
    result = json.loads(child.stdout.strip().splitlines()[-1])
    lateness = [x * 1000 for x in result["lateness"]]
    rebuild, rss, peak = result["rebuild_s"], result["rss_mb"], result["peak_mb"]
    p50, p99 = percentile(lateness, 0.5), percentile(lateness, 0.99)

    def verdict(ok: bool) -> str:
        return "OK" if ok else "MISSED"

    print(
        f"start-up rebuild: {rebuild:.3f} s (opening the database {result['open_s']:.3f} s, then "
        f"scheduler.start(): {result['sent_at_start']} reminders due while down sent, "
        f"{result['skipped_at_start']} skipped)  target <= 3 s: {verdict(rebuild <= 3)}"
    )
    print(
        f"memory: RSS {rss:.0f} MB after rebuild, peak {peak:.0f} MB"
        f"  target <= 200 MB: {verdict(peak <= 200)}"
    )
    print(
        f"lateness of {len(lateness):,} reminders due during a {args.window:.0f} s run: p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(lateness):.1f} ms  target p99 <= 1 s: {verdict(p99 <= 1000)}"
    )
    print(f"reminder states after the run: {result['states']}")
    if not args.keep:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
