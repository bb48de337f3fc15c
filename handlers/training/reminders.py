"""When reminders fall due, and what happens to each one when its time comes.

Rows in ``training_reminders`` are the truth; the scheduler only decides *when* to look at
them. Deciding a row and writing its outbox message happen in one write transaction, so a
crash or restart can neither lose nor repeat a reminder, and the outbox's unique
(person, purpose) backs that up.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.delivery.notify import notify
from bot.services import Services
from handlers.training.render import reminder_reply
from storage.reminders import DueReminder
from storage.sessions import TrainingSession
from storage.store import Repos
from storage.users import User

log = logging.getLogger(__name__)

BATCH = 500  # rows decided per write transaction


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No reminder between ``start`` and ``end`` local time; one due then moves to ``moved_to``
    the evening before (a little before ``start``, so delivery finishes before quiet hours)."""

    start: time = time(21, 0)
    end: time = time(7, 0)
    moved_to: time = time(20, 45)

    def contains(self, moment: datetime, tz: ZoneInfo) -> bool:
        local = moment.astimezone(tz).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def move_earlier(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """``moment`` if allowed, else ``moved_to`` on the evening the quiet period began."""
        if not self.contains(moment, tz):
            return moment
        local = moment.astimezone(tz)
        day = local.date() if local.time() >= self.start else local.date() - timedelta(days=1)
        return datetime.combine(day, self.moved_to, tzinfo=tz).astimezone(moment.tzinfo)

    def end_after(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """The end of the quiet period ``moment`` lies in."""
        local = moment.astimezone(tz)
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(moment.tzinfo)


DEFAULT_QUIET = QuietHours()


def plan(
    starts_at: datetime, offsets: tuple[int, ...], tz: ZoneInfo, quiet: QuietHours = DEFAULT_QUIET
) -> list[tuple[int, datetime]]:
    """(offset, due) for a session, moved out of quiet hours, earliest first.

    Two offsets that land on the same moment after moving (e.g. 3 h and 2 h before a 07:00
    start) would send two identical messages at once: only the one closer to the start is kept.
    """
    chosen: dict[datetime, int] = {}
    for offset in sorted(set(offsets)):
        due = quiet.move_earlier(starts_at - timedelta(minutes=offset), tz)
        chosen.setdefault(due, offset)
    return sorted(((offset, due) for due, offset in chosen.items()), key=lambda item: item[1])


def purpose(session_id: int, offset_min: int, round_no: int) -> str:
    """The outbox purpose: "reminder:<session>:<offset>", plus the round after a time change."""
    base = f"reminder:{session_id}:{offset_min}"
    return base if round_no == 0 else f"{base}:{round_no}"


@dataclass(slots=True)
class FireReport:
    queued: int = 0
    skipped: int = 0
    cancelled: int = 0
    postponed: int = 0
    closed_sessions: int = 0
    # (due, decided) for every row queued: the scheduler's lateness.
    lateness: list[tuple[datetime, datetime]] = field(default_factory=list)

    def add(self, other: FireReport) -> None:
        self.queued += other.queued
        self.skipped += other.skipped
        self.cancelled += other.cancelled
        self.postponed += other.postponed
        self.closed_sessions += other.closed_sessions
        self.lateness += other.lateness


async def fire_due(services: Services, quiet: QuietHours = DEFAULT_QUIET, limit: int = BATCH) -> FireReport:
    """Decide every reminder due by now: queue it in the outbox, postpone, or skip (recorded)."""
    report = FireReport()
    tz = services.settings.timezone
    while True:
        now = services.clock.now()
        batch = FireReport()
        async with services.store.write() as tx:
            rows = await tx.sessions.reminders.due(now, limit)
            await _decide(tx, rows, now, tz, quiet, batch)
            last = len(rows) < limit
            if last:
                batch.closed_sessions = await close_begun(tx, now)
        report.add(batch)
        if last:
            return report


async def _decide(
    tx: Repos, rows: list[DueReminder], now: datetime, tz: ZoneInfo, quiet: QuietHours, report: FireReport
) -> None:
    sessions: dict[int, TrainingSession | None] = {}
    people: dict[int, User | None] = {}
    outcomes: list[tuple[int, str, str | None]] = []
    for row in rows:
        if row.superseded:
            # After downtime the 1-day and the 2-hour reminder may both be due: send only the
            # one closest to the start (the rows of a person and session share every other check).
            outcomes.append((row.id, "skipped", "superseded by a later reminder"))
            report.skipped += 1
            continue
        if row.session_id not in sessions:
            sessions[row.session_id] = await tx.sessions.get(row.session_id)
        session = sessions[row.session_id]
        if session is None or session.cancelled:
            outcomes.append((row.id, "cancelled", "session cancelled"))
            report.cancelled += 1
        elif row.signup_status != "confirmed":
            outcomes.append((row.id, "cancelled", "no confirmed place"))
            report.cancelled += 1
        elif session.starts_at <= now:
            # Due while the bot was down and the session has begun: too late to be useful.
            outcomes.append((row.id, "skipped", "session had begun"))
            report.skipped += 1
        elif not row.enabled:
            outcomes.append((row.id, "skipped", "reminders turned off"))
            report.skipped += 1
        elif quiet.contains(now, tz):
            # Only after downtime (planned times avoid quiet hours): wait for the morning.
            morning = quiet.end_after(now, tz)
            if morning < session.starts_at:
                await tx.sessions.reminders.postpone(row.id, morning)
                report.postponed += 1
            else:
                outcomes.append((row.id, "skipped", "quiet hours until the start"))
                report.skipped += 1
        else:
            if row.user_id not in people:
                people[row.user_id] = await tx.users.by_id(row.user_id)
            recipient = people[row.user_id]
            if recipient is None:  # deleted their data in the meantime (rows cascade; be safe)
                outcomes.append((row.id, "cancelled", "person deleted"))
                report.cancelled += 1
                continue
            queued = await notify(
                tx,
                recipient,
                purpose(row.session_id, row.offset_min, row.round),
                functools.partial(reminder_reply, session),
                now,
                kind="reminder",
            )
            outcomes.append((row.id, "queued", None if queued else "already in the outbox"))
            report.queued += 1
            report.lateness.append((row.due_at, now))
    await tx.sessions.reminders.finish_many(outcomes, now)


async def close_begun(tx: Repos, now: datetime) -> int:
    """Sessions that have begun: withdraw their reminders still waiting in the outbox, once."""
    begun = await tx.sessions.begun_unclosed(now)
    for session_id in begun:
        await tx.outbox.cancel(f"reminder:{session_id}:")
        await tx.sessions.reminders.cancel_pending(session_id, None, "session had begun", now)
    if begun:
        await tx.sessions.mark_closed(begun)
    return len(begun)
