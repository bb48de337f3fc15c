"""Reminders as due work on the kernel scheduler (``bot.scheduler``).

Reminder rows in the database are the truth; the scheduler wakes for the earliest pending row
(``training:reminders:next``), which decides every row due by then — queue it in the outbox,
postpone it out of quiet hours, or skip it — and sweeps every ``sweep_seconds``
(``training:reminders:sweep``) to pick up rows written since, withdraw unsent reminders of
sessions that began, and move waiting lists up where places are free.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot import i18n
from bot.scheduler import DueWork, next_job_id, sweep_job_id
from bot.services import Services
from handlers.training import service
from handlers.training.reminders import DEFAULT_QUIET, FireReport, QuietHours, fire_due

log = logging.getLogger(__name__)

WAKE_JOB = next_job_id(service.REMINDERS)
SWEEP_JOB = sweep_job_id(service.REMINDERS)


class ReminderWork(DueWork[FireReport]):
    name = service.REMINDERS  # the feature's wake-up name too: a sign-up wakes it

    def __init__(
        self,
        services: Services,
        *,
        sweep_seconds: float = 30.0,
        quiet: QuietHours = DEFAULT_QUIET,
        on_fired: Callable[[FireReport], None] | None = None,
    ) -> None:
        self.services = services
        self.sweep_seconds = sweep_seconds
        self.quiet = quiet
        self.on_fired = on_fired

    async def next_due(self) -> datetime | None:
        return await self.services.store.read.sessions.reminders.next_due()

    async def run_due(self) -> FireReport:
        """Decide every reminder due by the clock's now."""
        settings = self.services.settings
        with i18n.use(settings.default_language, settings.timezone):
            report = await fire_due(self.services, self.quiet)
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

    async def sweep(self) -> None:
        await self.fill_waiting_lists()

    async def fill_waiting_lists(self) -> int:
        """Promote waiting people where places are free (e.g. a confirmed person deleted their data)."""
        promoted = 0
        store = self.services.store.read
        for session_id in await store.sessions.with_free_places(self.services.clock.now()):
            with i18n.use(self.services.settings.default_language, self.services.settings.timezone):
                promoted += await service.fill_places(self.services, session_id)
        return promoted
