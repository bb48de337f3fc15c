"""The scheduler: APScheduler (``AsyncIOScheduler``) driven by reminder rows in the database.

Design (why not one APScheduler job per reminder): 100,000 reminders as jobs would cost about
a kilobyte each in memory, seconds to rebuild at every start, and a second copy of the truth
that must be kept in step with the database. Instead the scheduler holds two jobs with stable
ids:

- ``training:reminders:next`` — a one-off job armed for the earliest pending reminder. It
  decides every row due by then (queue in the outbox / postpone / skip), then re-arms itself
  for the next earliest row. One indexed ``MIN(due_at)`` query per wake-up, so a reminder fires
  within milliseconds of its time and the rebuild at start is a single query.
- ``training:reminders:sweep`` — every ``sweep_seconds``: the same work, which also picks up
  rows written since the last wake-up (sign-ups, changes), withdraws unsent reminders of
  sessions that began, and moves waiting lists up where places are free.

Time comes from ``services.clock``: APScheduler's own timer is armed for "clock time until
due", and ``tick()`` reads the clock, so tests drive everything with a ``ManualClock`` and a
direct ``await scheduler.tick()`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import i18n
from bot.services import Services
from handlers.training import service
from handlers.training.reminders import DEFAULT_QUIET, FireReport, QuietHours, fire_due

log = logging.getLogger(__name__)

WAKE_JOB = "training:reminders:next"
SWEEP_JOB = "training:reminders:sweep"


class ReminderScheduler:
    def __init__(
        self,
        services: Services,
        *,
        sweep_seconds: float = 30.0,
        misfire_grace_seconds: int = 300,
        quiet: QuietHours = DEFAULT_QUIET,
        on_fired: Callable[[FireReport], None] | None = None,
    ) -> None:
        self.services = services
        self.sweep_seconds = sweep_seconds
        # APScheduler's default grace is 1 s: a job late by more (a busy loop, a suspended
        # laptop) would be dropped silently. Ours only *looks* at the database, and the rows
        # themselves decide whether it is too late, so a late run is always wanted.
        self.misfire_grace_seconds = misfire_grace_seconds
        self.quiet = quiet
        self.on_fired = on_fired
        self.armed_for: datetime | None = None  # clock time of the next wake-up
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    async def start(self) -> FireReport:
        """Start APScheduler and rebuild from the database; returns what was due while down."""
        if self._scheduler is not None:
            raise RuntimeError("scheduler already started")
        scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "misfire_grace_time": self.misfire_grace_seconds,
                "coalesce": True,
                # A wake-up re-arms its own job id while still running: allow the overlap
                # (tick() is serialised by our own lock anyway).
                "max_instances": 3,
            },
        )
        scheduler.start()
        self._scheduler = scheduler
        self.services.wakeups.connect(service.REMINDERS, self.wake_soon)
        scheduler.add_job(
            self._sweep,
            IntervalTrigger(seconds=self.sweep_seconds, timezone=UTC),
            id=SWEEP_JOB,
            replace_existing=True,
        )
        return await self.tick()

    async def stop(self) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        self.services.wakeups.disconnect(service.REMINDERS)
        async with self._lock:  # let a tick in progress finish its transaction
            self._scheduler = None
            self.armed_for = None
            scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler completes its shutdown on the next loop turn

    async def tick(self) -> FireReport:
        """Decide every reminder due by the clock's now, then arm the next wake-up."""
        async with self._lock:
            settings = self.services.settings
            with i18n.use(settings.default_language, settings.timezone):
                report = await fire_due(self.services, self.quiet)
            next_due = await self.services.store.read.sessions.reminders.next_due()
            self._arm(next_due)
        if report.queued:
            self.services.wake_delivery()  # send now rather than at the worker's next poll
        if report.queued or report.skipped or report.postponed:
            log.info(
                "reminders: %d queued, %d skipped, %d postponed",
                report.queued,
                report.skipped,
                report.postponed,
            )
        if self.on_fired is not None:
            self.on_fired(report)
        return report

    async def fill_waiting_lists(self) -> int:
        """Promote waiting people where places are free (e.g. a confirmed person deleted their data)."""
        promoted = 0
        store = self.services.store.read
        for session_id in await store.sessions.with_free_places(self.services.clock.now()):
            with i18n.use(self.services.settings.default_language, self.services.settings.timezone):
                promoted += await service.fill_places(self.services, session_id)
        return promoted

    def _arm(self, due: datetime | None) -> None:
        scheduler = self._scheduler
        self.armed_for = due
        if scheduler is None:
            return
        if due is None:
            if scheduler.get_job(WAKE_JOB) is not None:
                scheduler.remove_job(WAKE_JOB)
            return
        # Translate "clock time until due" into APScheduler's wall-clock timer.
        delay = max(0.0, (due - self.services.clock.now()).total_seconds())
        run_at = datetime.now(UTC) + timedelta(seconds=delay)
        scheduler.add_job(
            self._wake, DateTrigger(run_date=run_at, timezone=UTC), id=WAKE_JOB, replace_existing=True
        )

    def wake_soon(self) -> None:
        """Run the wake-up job now (it re-arms itself for the next due reminder)."""
        if self._scheduler is not None:
            self._scheduler.add_job(self._wake, id=WAKE_JOB, replace_existing=True)

    async def _wake(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("reminders: wake-up failed; the sweep will try again")

    async def _sweep(self) -> None:
        try:
            await self.tick()
            await self.fill_waiting_lists()
        except Exception:
            log.exception("reminders: sweep failed; it will run again")
