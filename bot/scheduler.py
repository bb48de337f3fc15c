"""The scheduler: APScheduler's ``AsyncIOScheduler`` running the features' due work.

Timed work (reminders, announcements set for later) is rows in the database first; the scheduler
only wakes the bot when the earliest row falls due. Why not one APScheduler job per row: 100,000
reminders as jobs would cost about a kilobyte each in memory, seconds to rebuild at every start,
and a second copy of the truth to keep in step with the database. So each ``DueWork`` a feature
gives gets at most two jobs, with stable ids:

- ``<name>:next`` — a one-off job armed for ``next_due()``. It runs ``run_due()``, which decides
  every row due by the clock's now, then re-arms itself for the next earliest row: one indexed
  query per wake-up, so work runs within milliseconds of its time.
- ``<name>:sweep`` — every ``sweep_seconds`` (when set): ``run_due()`` then ``sweep()``. It picks
  up rows written where no wake-up reached this process, and does the feature's housekeeping.

``services.wake(name)`` runs a work's ``next`` job at once (a row written now may fall due before
the time armed); a wake-up that arrives while the work runs makes it run again right after, since
the row may have been written after ``next_due()`` looked. At start every work runs once, so what
fell due while the bot was down is decided then: the schedule is rebuilt from the database, never
from a job store.

Time comes from ``services.clock``: APScheduler's own timer is armed for "clock time until due",
and the work reads the clock, so tests drive everything with a ``ManualClock`` and a direct
``await scheduler.run(work)`` (the coroutine the jobs run) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.services import Services

log = logging.getLogger(__name__)

R = TypeVar("R")
W = TypeVar("W", bound="DueWork[Any]")

# APScheduler's default grace is 1 s: a job late by more (a busy loop, a suspended laptop) would be
# dropped silently. Due work only *looks* at the database and the rows decide whether it is too
# late, so a late run is always wanted.
MISFIRE_GRACE_SECONDS = 300


def next_job_id(name: str) -> str:
    return f"{name}:next"


def sweep_job_id(name: str) -> str:
    return f"{name}:sweep"


class DueWork(Generic[R]):
    """Work a feature gives the scheduler: rows that fall due at times the database knows.

    ``name`` is stable: it names the jobs and the wake-up (``services.wake(name)``). ``run_due``
    decides everything due by ``services.clock.now()`` and may run at any time, late or twice
    (several processes, a sweep beside a wake-up): the rows themselves must make it idempotent."""

    name: str
    sweep_seconds: float | None = None  # also run this often; None: only when due or woken

    async def next_due(self) -> datetime | None:
        """Clock time of the earliest row not decided yet; None when nothing is waiting."""
        raise NotImplementedError

    async def run_due(self) -> R:
        """Decide every row due by the clock's now; returns a report (for tests and logs)."""
        raise NotImplementedError

    async def sweep(self) -> None:
        """Housekeeping at each sweep, after ``run_due``."""


class Scheduler:
    def __init__(self, services: Services, *, misfire_grace_seconds: int = MISFIRE_GRACE_SECONDS) -> None:
        self.services = services
        self.misfire_grace_seconds = misfire_grace_seconds
        self._works: dict[str, DueWork[Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._armed: dict[str, datetime | None] = {}
        self._woken: set[str] = set()  # woken since their run began
        self._scheduler: AsyncIOScheduler | None = None

    def add(self, work: W) -> W:
        """Take a feature's work (before ``start``)."""
        if self._scheduler is not None:
            raise RuntimeError("add due work before the scheduler starts")
        if work.name in self._works:
            raise ValueError(f"two pieces of due work are named {work.name!r}")
        self._works[work.name] = work
        return work

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def armed_for(self, name: str) -> datetime | None:
        """Clock time of the next wake-up of the work ``name`` (None: nothing waiting)."""
        return self._armed.get(name)

    def jobs(self) -> dict[str, Any]:
        """APScheduler's jobs by id, while running."""
        return {job.id: job for job in self._scheduler.get_jobs()} if self._scheduler is not None else {}

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> dict[str, Any]:
        """Start APScheduler, then run every work once: rebuilt from the database, what fell due
        while the bot was down is decided now. Returns each work's report of that run, by name."""
        if self._scheduler is not None:
            raise RuntimeError("scheduler already started")
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "misfire_grace_time": self.misfire_grace_seconds,
                "coalesce": True,
                # A wake-up re-arms its own job id while still running: allow the overlap
                # (``run`` is serialised per work by our own lock anyway).
                "max_instances": 3,
            },
        )
        scheduler.start()
        self._scheduler = scheduler
        try:
            for work in self._works.values():
                self.services.wakeups.connect(work.name, functools.partial(self.wake, work.name))
                if work.sweep_seconds:
                    scheduler.add_job(
                        self._sweep,
                        IntervalTrigger(seconds=work.sweep_seconds, timezone=UTC),
                        args=(work,),
                        id=sweep_job_id(work.name),
                        replace_existing=True,
                    )
            return {work.name: await self.run(work) for work in self._works.values()}
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        for name in self._works:
            self.services.wakeups.disconnect(name)
        async with AsyncExitStack() as stack:
            for name in self._works:  # let a run in progress finish its transaction
                await stack.enter_async_context(self._lock(name))
            self._scheduler = None
            self._armed.clear()
            scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler completes its shutdown on the next loop turn

    # -- running work ---------------------------------------------------------------------------
    async def run(self, work: DueWork[R]) -> R:
        """Run ``work`` now, as its jobs do, then arm its next wake-up."""
        async with self._lock(work.name):
            self._woken.discard(work.name)
            report = await work.run_due()
            self._arm(work, await work.next_due())
        return report

    async def tick(self) -> dict[str, Any]:
        """Run every work now (tests: after moving a ManualClock); each one's report, by name."""
        return {work.name: await self.run(work) for work in list(self._works.values())}

    def wake(self, name: str) -> None:
        """Run the work's wake-up job now (it re-arms itself for the next due row)."""
        work = self._works.get(name)
        if self._scheduler is not None and work is not None:
            self._woken.add(name)
            self._scheduler.add_job(self._wake, args=(work,), id=next_job_id(name), replace_existing=True)

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    def _arm(self, work: DueWork[Any], due: datetime | None) -> None:
        self._armed[work.name] = due
        scheduler = self._scheduler
        if scheduler is None:
            return
        job_id = next_job_id(work.name)
        if work.name in self._woken:  # woken during this run: run again now, do not re-arm over it
            self._woken.discard(work.name)
            scheduler.add_job(self._wake, args=(work,), id=job_id, replace_existing=True)
            return
        if due is None:
            if scheduler.get_job(job_id) is not None:
                scheduler.remove_job(job_id)
            return
        from apscheduler.triggers.date import DateTrigger

        # Translate "clock time until due" into APScheduler's wall-clock timer.
        delay = max(0.0, (due - self.services.clock.now()).total_seconds())
        run_at = datetime.now(UTC) + timedelta(seconds=delay)
        scheduler.add_job(
            self._wake,
            DateTrigger(run_date=run_at, timezone=UTC),
            args=(work,),
            id=job_id,
            replace_existing=True,
        )

    async def _wake(self, work: DueWork[Any]) -> None:
        try:
            await self.run(work)
        except Exception:
            log.exception("%s: wake-up failed; it runs again at the next sweep or wake-up", work.name)

    async def _sweep(self, work: DueWork[Any]) -> None:
        try:
            await self.run(work)
            await work.sweep()
        except Exception:
            log.exception("%s: sweep failed; it will run again", work.name)
