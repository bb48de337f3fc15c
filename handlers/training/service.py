"""What can happen to sessions and sign-ups; each function is one write transaction.

Capacity holds under any concurrency because the decision (count the confirmed places, then
confirm or queue) is made inside one write transaction that first locks the session's row
(``for_update``): on SQLite the single writer (BEGIN IMMEDIATE) already excludes every other, on
PostgreSQL the row lock makes a sign-up in another process wait until this one has committed.
Two sign-ups can never both see the last free place.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import i18n
from bot.delivery.notify import notify
from bot.i18n import _
from bot.services import Services
from handlers.training import render as messages
from handlers.training.reminders import plan
from storage.sessions import SessionChanges, TrainingSession
from storage.signups import Attendee
from storage.store import Repos
from storage.users import User

# The wake-up call of the reminder scheduler (handlers/training/scheduler.py).
REMINDERS = "training:reminders"


class TrainingError(Exception):
    """A request that cannot be carried out; ``code`` says why (for the caller's own message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class SignupResult:
    # confirmed | waiting | already_confirmed | already_waiting
    outcome: str
    session: TrainingSession
    position: int | None = None  # in the waiting list


@dataclass(frozen=True, slots=True)
class CancelResult:
    was: str  # confirmed | waiting
    session: TrainingSession
    promoted: int  # people moved up from the waiting list


@dataclass(frozen=True, slots=True)
class SessionInput:
    title: str
    starts_at: datetime
    duration_min: int
    place: str
    audience: str
    area_id: str
    capacity: int
    description: str
    reminder_offsets: tuple[int, ...]
    ext_ref: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateResult:
    session: TrainingSession
    notified: int  # people told about a change of time or place
    promoted: int


# -- sign-ups ----------------------------------------------------------------------------------
async def sign_up(services: Services, user: User, session_id: int) -> SignupResult:
    now = services.clock.now()
    tz = services.settings.timezone
    async with services.store.write() as tx:
        session = await _open_session(tx, session_id, now)
        signups = tx.sessions.signups
        existing = await signups.get(session_id, user.id)
        if existing is not None and existing.status == "confirmed":
            return SignupResult("already_confirmed", session)
        if existing is not None and existing.status == "waiting":
            return SignupResult(
                "already_waiting", session, await signups.waiting_position(session_id, user.id)
            )
        # Whoever waited first gets a freed place before a newcomer does.
        await _fill_places(tx, session, now, tz)
        confirmed = await signups.count(session_id, "confirmed")
        status = "confirmed" if confirmed < session.capacity else "waiting"
        await signups.put(session_id, user.id, status, now)
        if status == "confirmed":
            await _schedule(tx, session, user.id, now, tz)
        # Reports count a place taken as a sign-up, a place waited for as "waiting" (the sign-up
        # is counted when the person moves up into a place).
        kind = "training.signup" if status == "confirmed" else "training.waiting"
        await tx.events.record(kind, user.area_id, user.channel, now)
        position = await signups.waiting_position(session_id, user.id) if status == "waiting" else None
    services.wake_delivery()  # someone may have been promoted and told
    services.wake(REMINDERS)  # a new reminder may be due before the next sweep
    return SignupResult(status, session, position)


async def cancel_signup(services: Services, user: User, session_id: int) -> CancelResult:
    now = services.clock.now()
    tz = services.settings.timezone
    async with services.store.write() as tx:
        session = await tx.sessions.get(session_id, for_update=True)
        if session is None:
            raise TrainingError("unknown")
        signup = await tx.sessions.signups.get(session_id, user.id)
        if signup is None or signup.status == "cancelled" or session.cancelled:
            raise TrainingError("not_signed_up")
        if session.starts_at <= now:
            raise TrainingError("begun")
        await tx.sessions.signups.set_status(signup.id, "cancelled", now)
        await tx.sessions.reminders.cancel_pending(session_id, user.id, "sign-up cancelled", now)
        await tx.outbox.cancel(f"reminder:{session_id}:", user_id=user.id)
        await tx.events.record("training.cancel", user.area_id, user.channel, now)
        promoted = await _fill_places(tx, session, now, tz) if signup.status == "confirmed" else 0
    if promoted:
        services.wake_delivery()
    services.wake(REMINDERS)
    return CancelResult(signup.status, session, promoted)


async def fill_places(services: Services, session_id: int) -> int:
    """Move people up from the waiting list into free places (e.g. after someone deleted their data)."""
    now = services.clock.now()
    async with services.store.write() as tx:
        session = await tx.sessions.get(session_id, for_update=True)
        if session is None:
            return 0
        promoted = await _fill_places(tx, session, now, services.settings.timezone)
    if promoted:
        services.wake_delivery()
    services.wake(REMINDERS)
    return promoted


async def _open_session(tx: Repos, session_id: int, now: datetime) -> TrainingSession:
    session = await tx.sessions.get(session_id, for_update=True)
    if session is None:
        raise TrainingError("unknown")
    if session.cancelled or session.starts_at <= now:
        raise TrainingError("closed")
    return session


async def _fill_places(tx: Repos, session: TrainingSession, now: datetime, tz: ZoneInfo) -> int:
    if session.cancelled or session.starts_at <= now:
        return 0
    signups = tx.sessions.signups
    free = session.capacity - await signups.count(session.id, "confirmed")
    if free <= 0:
        return 0
    promoted = 0
    for waiting in await signups.first_waiting(session.id, free):
        await signups.set_status(waiting.id, "confirmed", now)
        await _schedule(tx, session, waiting.user_id, now, tz)
        user = await tx.users.by_id(waiting.user_id)
        if user is not None:
            await tx.events.record("training.signup", user.area_id, user.channel, now)
            await notify(
                tx,
                user,
                f"session-place:{session.id}:{waiting.seq + 1}",
                lambda: messages.promoted_reply(session),
                now,
            )
        promoted += 1
    return promoted


async def _schedule(tx: Repos, session: TrainingSession, user_id: int, now: datetime, tz: ZoneInfo) -> None:
    await tx.sessions.reminders.schedule(
        session.id, user_id, plan(session.starts_at, session.reminder_offsets, tz), session.change_no, now
    )


async def set_reminders(services: Services, user: User, enabled: bool) -> None:
    async with services.store.write() as tx:
        await tx.sessions.reminders.set_enabled(user.id, enabled, services.clock.now())


# -- sessions ----------------------------------------------------------------------------------
async def create_session(services: Services, data: SessionInput, by: str) -> TrainingSession:
    now = services.clock.now()
    async with services.store.write() as tx:
        session_id = await tx.sessions.create(
            title=data.title,
            starts_at=data.starts_at,
            duration_min=data.duration_min,
            place=data.place,
            audience=data.audience,
            area_id=data.area_id,
            capacity=data.capacity,
            description=data.description,
            created_by=by,
            now=now,
            reminder_offsets=data.reminder_offsets,
            ext_ref=data.ext_ref,
        )
        await tx.audit.record(by, "training.created", f"session:{session_id}", now, data.title[:100])
        session = await tx.sessions.get(session_id)
    assert session is not None
    return session


def changes_between(old: TrainingSession, data: SessionInput) -> SessionChanges:
    """Only the fields that differ (so an unchanged place is not reported as changed)."""

    def differs(name: str) -> object | None:
        value = getattr(data, name)
        return value if value != getattr(old, name) else None

    return SessionChanges(
        title=differs("title"),  # type: ignore[arg-type]
        starts_at=differs("starts_at"),  # type: ignore[arg-type]
        duration_min=differs("duration_min"),  # type: ignore[arg-type]
        place=differs("place"),  # type: ignore[arg-type]
        audience=differs("audience"),  # type: ignore[arg-type]
        area_id=differs("area_id"),  # type: ignore[arg-type]
        capacity=differs("capacity"),  # type: ignore[arg-type]
        description=differs("description"),  # type: ignore[arg-type]
        reminder_offsets=differs("reminder_offsets"),  # type: ignore[arg-type]
    )


async def update_session(
    services: Services, session_id: int, changes: SessionChanges, by: str
) -> UpdateResult:
    """Apply an edit; a new time or place is told once to everyone signed up, reminders follow."""
    now = services.clock.now()
    tz = services.settings.timezone
    async with services.store.write() as tx:
        old = await tx.sessions.get(session_id, for_update=True)
        if old is None:
            raise TrainingError("unknown")
        if old.cancelled:
            raise TrainingError("closed")
        if old.starts_at <= now:
            raise TrainingError("begun")
        if changes.capacity is not None and changes.capacity < await tx.sessions.signups.count(
            session_id, "confirmed"
        ):
            raise TrainingError("capacity_below_confirmed")
        moved = changes.starts_at is not None and changes.starts_at != old.starts_at
        lengthened = changes.duration_min is not None and changes.duration_min != old.duration_min
        relocated = changes.place is not None and changes.place != old.place
        tell = moved or lengthened or relocated
        await tx.sessions.update(session_id, changes, now, notify=tell)
        new = await tx.sessions.get(session_id)
        assert new is not None
        active = await tx.sessions.signups.active(session_id)
        if tell:
            # Messages already queued carry the old time or place: withdraw them.
            await tx.outbox.cancel(f"reminder:{session_id}:", user_id=None)
        if moved or changes.reminder_offsets is not None:
            for signup in active:
                if signup.status == "confirmed":
                    await _schedule(tx, new, signup.user_id, now, tz)
        notified = 0
        if tell:
            for signup in active:
                user = await tx.users.by_id(signup.user_id)
                if user is not None and await notify(
                    tx,
                    user,
                    f"session-change:{session_id}:{new.change_no}",
                    lambda: messages.change_reply(old, new),
                    now,
                    batch=f"session-change:{session_id}:{new.change_no}",
                ):
                    notified += 1
        promoted = await _fill_places(tx, new, now, tz) if changes.capacity is not None else 0
        await tx.audit.record(by, "training.updated", f"session:{session_id}", now, _changed_names(changes))
    services.wake_delivery()
    services.wake(REMINDERS)
    return UpdateResult(new, notified, promoted)


def _changed_names(changes: SessionChanges) -> str:
    return ",".join(
        name for name in SessionChanges.__dataclass_fields__ if getattr(changes, name) is not None
    )


async def cancel_session(services: Services, session_id: int, by: str) -> UpdateResult:
    now = services.clock.now()
    async with services.store.write() as tx:
        session = await tx.sessions.get(session_id, for_update=True)
        if session is None:
            raise TrainingError("unknown")
        if session.starts_at <= now:
            raise TrainingError("begun")
        if not await tx.sessions.cancel(session_id, now):
            raise TrainingError("closed")
        cancelled = await tx.sessions.get(session_id)
        assert cancelled is not None
        await tx.sessions.reminders.cancel_pending(session_id, None, "session cancelled", now)
        await tx.outbox.cancel(f"reminder:{session_id}:", user_id=None)
        notified = 0
        for signup in await tx.sessions.signups.active(session_id):
            user = await tx.users.by_id(signup.user_id)
            if user is not None and await notify(
                tx,
                user,
                f"session-change:{session_id}:{cancelled.change_no}",
                lambda: messages.cancelled_reply(cancelled),
                now,
                batch=f"session-change:{session_id}:{cancelled.change_no}",
            ):
                notified += 1
        await tx.audit.record(by, "training.cancelled", f"session:{session_id}", now)
    services.wake_delivery()
    return UpdateResult(cancelled, notified, 0)


# -- officers ----------------------------------------------------------------------------------
async def mark_attendance(services: Services, signup_id: int, attended: bool | None, by: str) -> None:
    async with services.store.write() as tx:
        await tx.sessions.signups.mark_attendance(signup_id, attended, by, services.clock.now())


def signups_csv(session: TrainingSession, attendees: list[Attendee]) -> bytes:
    """The sign-up list as CSV in the current language, UTF-8 with a BOM so Excel shows Vietnamese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("No."),
            _("Name"),
            _("Village / residential group"),
            _("Channel"),
            _("Status"),
            _("Signed up at"),
            _("Attended"),
        ]
    )
    status_names = {"confirmed": _("confirmed"), "waiting": _("waiting list")}
    attended_names = {True: _("present"), False: _("absent"), None: ""}
    for number, person in enumerate(attendees, 1):
        writer.writerow(
            [
                number,
                _spreadsheet_safe(person.display_name),
                _spreadsheet_safe(person.area_name),
                person.channel,
                status_names.get(person.status, person.status),
                i18n.local_time(person.queued_at).strftime("%d/%m/%Y %H:%M"),
                attended_names[person.attended],
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _spreadsheet_safe(value: str) -> str:
    """A name starting with = + - @ would run as a formula when the file is opened in Excel."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
