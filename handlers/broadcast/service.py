"""Announcements: who receives them, what they look like, fan-out, progress and final report.

A broadcast is a row first. When it is due (at once, or at the chosen time) one transaction
computes its audience and writes one outbox row per recipient (batch ``broadcast:<id>``); the
delivery worker then sends them within the platform limits. On the scheduler
(``handlers.broadcast.scheduler``), one piece of due work fans out broadcasts set for later when
their time comes; another keeps the author's progress line current while a broadcast is sending
and sends the final report once every row has reached a final state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot import i18n
from bot.context import Person, Role
from bot.delivery.notify import notify
from bot.i18n import N_, _
from bot.model import Button, Reply
from bot.services import Services
from bot.text import esc
from storage.broadcasts import Broadcast
from storage.store import Repos
from storage.timefmt import to_db
from storage.users import User

# Wake-up names, and the names of the feature's due work on the scheduler.
SCHEDULED = "broadcast:scheduled"  # a broadcast set for later was stored
PROGRESS = "broadcast:progress"  # a broadcast started (or restarted) sending

MAX_TEXT = 3000
AUDIENCE_NAMES = {
    "area": N_("everyone in the area"),
    "declared": N_("families who declared this year"),
    "not_declared": N_("families who have not declared this year"),
    "session": N_("people signed up for a session"),
    "everyone": N_("everyone who uses the bot"),
}


class BroadcastError(Exception):
    """Not allowed or not possible; the message is already translated for the person."""


@dataclass(frozen=True, slots=True)
class Audience:
    kind: str  # a key of AUDIENCE_NAMES
    area_id: str | None  # None only for "everyone"; for "session", the session's area
    param: str = ""  # the session id, or the campaign year (local calendar year)


def announcement(text: str, area_name: str) -> Reply:
    """What a recipient sees, in the current language; the author's text is escaped."""
    header = _("📢 Announcement from the Study Promotion Association — {area}").format(area=esc(area_name))
    footer = _("To stop receiving announcements, send /tatthongbao.")
    return Reply(f"<b>{header}</b>\n\n{esc(text)}\n\n<i>{footer}</i>")


async def check_allowed(services: Services, author: Person, audience: Audience) -> None:
    if author.role < Role.OFFICER:
        raise BroadcastError(
            _("Sorry, this command is only for officers or administrators of the association.")
        )
    if audience.kind not in AUDIENCE_NAMES:
        raise BroadcastError(_("Unknown audience."))
    if audience.kind == "everyone" or audience.area_id is None:
        if author.role < Role.ADMIN:
            raise BroadcastError(_("Only administrators can write to everyone."))
        return
    area = await services.store.read.areas.get(audience.area_id)
    if area is None or not author.can_see(area):
        raise BroadcastError(_("You can only send announcements to your own area."))


async def recipients(tx: Repos, audience: Audience) -> list[User]:
    """The people an audience reaches now (opted-out people excluded)."""
    path = None
    if audience.kind != "everyone" and audience.area_id is not None:
        area = await tx.areas.get(audience.area_id)
        if area is None:
            return []
        path = area.path
    return await tx.broadcasts.area_audience(path, audience.kind, audience.param)


async def count_recipients(services: Services, audience: Audience, author: Person | None = None) -> int:
    author_id = author.user.id if author is not None and author.user is not None else None
    return sum(1 for p in await recipients(services.store.read, audience) if p.id != author_id)


async def create(
    services: Services,
    author: Person,
    audience: Audience,
    text: str,
    when: datetime | None = None,
    photo_id: int | None = None,
) -> Broadcast:
    """Store a broadcast (and fan it out at once when it is due now)."""
    await check_allowed(services, author, audience)
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise BroadcastError(
            _("The announcement must be 1 to {limit} characters long.").format(limit=MAX_TEXT)
        )
    now = services.clock.now()
    async with services.store.write() as tx:
        broadcast = await tx.broadcasts.create(
            author_id=author.user.id if author.user else None,
            author_key=author.key,
            area_id=audience.area_id if audience.kind != "everyone" else None,
            audience=audience.kind,
            audience_param=audience.param,
            text=text,
            attachment_id=photo_id,
            scheduled_at=when or now,
            now=now,
        )
        await tx.audit.record(
            author.key,
            "broadcast.created",
            broadcast.batch,
            now,
            f"{audience.kind} {audience.area_id or 'all'} {audience.param}".strip(),
        )
    if broadcast.scheduled_at <= now:
        await fan_out(services, broadcast)
        broadcast = await services.store.read.broadcasts.get(broadcast.id) or broadcast
    else:
        services.wake(SCHEDULED)  # it may fall due before the time the scheduler is armed for
    return broadcast


async def fan_out(services: Services, broadcast: Broadcast) -> int:
    """Write one outbox row per recipient, in one transaction, exactly once per broadcast."""
    now = services.clock.now()
    async with services.store.write() as tx:
        current = await tx.broadcasts.get(broadcast.id, for_update=True)  # fanned out once, by one process
        if current is None or current.state != "scheduled":
            return 0
        area = await tx.areas.get(current.area_id) if current.area_id else None
        area_name = area.name if area else _("all areas")
        audience = Audience(current.audience, current.area_id, current.audience_param)
        # The author has just seen the preview; everyone else in the audience gets it.
        people = [p for p in await recipients(tx, audience) if p.id != current.author_id]
        for person in people:
            await notify(
                tx,
                person,
                f"broadcast:{current.id}",
                lambda: announcement(current.text, area_name),
                now,
                batch=current.batch,
                kind="announcement",
                photo_id=current.attachment_id,
            )
        await tx.broadcasts.mark_fanned_out(current.id, len(people), now)
    services.wake_delivery()
    services.wake(PROGRESS)
    return len(people)


def progress_text(done: int, total: int) -> str:
    return _("Sending the announcement: {done}/{total}").format(
        done=i18n.fmt_number(done), total=i18n.fmt_number(total)
    )


def report(broadcast: Broadcast, counts: Mapping[str, int], errors: list[tuple[str, str, int]]) -> Reply:
    """The final report, with a button to resend to those not confirmed."""
    text = report_text(broadcast, counts, errors)
    uncertain = counts.get("uncertain", 0)
    if not uncertain:
        return Reply(text)
    text += "\n" + _("To send it again to them, send /guilai {id}.").format(id=broadcast.id)
    label = _("Send again to the {n} not confirmed").format(n=i18n.fmt_number(uncertain))
    return Reply.make(text, [Button(label, f"bcr:{broadcast.id}")])


async def resend_unconfirmed(services: Services, person: Person, broadcast_id: int) -> int:
    """Queue again the rows of a broadcast that were not confirmed; its author, an officer of its
    area or an admin may ask. Returns how many were queued."""
    broadcast = await services.store.read.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise BroadcastError(_("There is no announcement number {id}.").format(id=broadcast_id))
    await check_allowed(
        services, person, Audience(broadcast.audience, broadcast.area_id, broadcast.audience_param)
    )
    now = services.clock.now()
    async with services.store.write() as tx:
        queued = await tx.outbox.requeue_uncertain(broadcast.batch, now)
        if queued:
            await tx.broadcasts.reopen(broadcast.id)
            await tx.audit.record(
                person.key, "broadcast.resent", broadcast.batch, now, f"{queued} unconfirmed"
            )
    services.wake_delivery()
    if queued:
        services.wake(PROGRESS)
    return queued


def delivered_total(counts: Mapping[str, int]) -> int:
    """How many people the broadcast's rows address now (the list of ``admin broadcasts`` and
    the report count the same rows; a person who deleted their data has no row any more)."""
    return sum(counts.values())


def report_text(broadcast: Broadcast, counts: Mapping[str, int], errors: list[tuple[str, str, int]]) -> str:
    total = delivered_total(counts)
    lines = [
        _("<b>Announcement #{id} finished</b>").format(id=broadcast.id),
        _("Recipients: {n}").format(n=i18n.fmt_number(total)),
        _("✅ Delivered: {n}").format(n=i18n.fmt_number(counts.get("sent", 0))),
        _("🚫 Unreachable (blocked the bot or left): {n}").format(
            n=i18n.fmt_number(counts.get("unreachable", 0))
        ),
        _("⚠️ Failed: {n}").format(n=i18n.fmt_number(counts.get("failed", 0))),
    ]
    if counts.get("uncertain"):
        lines.append(
            _("❔ Not confirmed (interrupted by a restart; may or may not have arrived): {n}").format(
                n=i18n.fmt_number(counts["uncertain"])
            )
        )
    gone = broadcast.recipients - total
    if gone > 0:
        lines.append(
            _("({n} more deleted their data after it was sent, so they are no longer counted.)").format(
                n=i18n.fmt_number(gone)
            )
        )
    if errors:
        lines.append(_("Reasons:"))
        lines += [f"• {esc(error) or state}: {i18n.fmt_number(n)}" for state, error, n in errors]
    return "\n".join(lines)


# -- announcements set for later: list, change, cancel ---------------------------------------
async def changeable(services: Services, person: Person, broadcast_id: int) -> Broadcast:
    """A broadcast this person may change, still waiting for its time; ``BroadcastError`` otherwise."""
    broadcast = await services.store.read.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise BroadcastError(_("There is no announcement number {id}.").format(id=broadcast_id))
    await check_allowed(
        services, person, Audience(broadcast.audience, broadcast.area_id, broadcast.audience_param)
    )
    if broadcast.state != "scheduled":
        raise BroadcastError(gone_text(broadcast))
    return broadcast


def gone_text(broadcast: Broadcast) -> str:
    if broadcast.state == "cancelled":
        return _("Announcement #{id} was cancelled; it can no longer be changed.").format(id=broadcast.id)
    return _("Announcement #{id} has already been sent; it can no longer be changed.").format(id=broadcast.id)


async def visible(services: Services, person: Person, broadcast_id: int) -> Broadcast:
    """A broadcast of this person's area (any state); ``BroadcastError`` otherwise."""
    broadcast = await services.store.read.broadcasts.get(broadcast_id)
    if broadcast is None:
        raise BroadcastError(_("There is no announcement number {id}.").format(id=broadcast_id))
    await check_allowed(
        services, person, Audience(broadcast.audience, broadcast.area_id, broadcast.audience_param)
    )
    return broadcast


async def reschedule(services: Services, person: Person, broadcast_id: int, when: datetime) -> Broadcast:
    broadcast = await changeable(services, person, broadcast_id)
    now = services.clock.now()
    async with services.store.write() as tx:
        if not await tx.broadcasts.reschedule(broadcast.id, when):
            current = await tx.broadcasts.get(broadcast.id)
            raise BroadcastError(gone_text(current or broadcast))
        await tx.audit.record(person.key, "broadcast.rescheduled", broadcast.batch, now, to_db(when))
    services.wake(SCHEDULED)  # an earlier time than the one the scheduler is armed for
    return await services.store.read.broadcasts.get(broadcast.id) or broadcast


async def change_text(services: Services, person: Person, broadcast_id: int, text: str) -> Broadcast:
    broadcast = await changeable(services, person, broadcast_id)
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise BroadcastError(
            _("The announcement must be 1 to {limit} characters long.").format(limit=MAX_TEXT)
        )
    now = services.clock.now()
    async with services.store.write() as tx:
        if not await tx.broadcasts.set_text(broadcast.id, text):
            current = await tx.broadcasts.get(broadcast.id)
            raise BroadcastError(gone_text(current or broadcast))
        await tx.audit.record(
            person.key, "broadcast.text_changed", broadcast.batch, now, f"{len(text)} chars"
        )
    return await services.store.read.broadcasts.get(broadcast.id) or broadcast


async def cancel(services: Services, person: Person, broadcast_id: int) -> Broadcast:
    broadcast = await changeable(services, person, broadcast_id)
    now = services.clock.now()
    async with services.store.write() as tx:
        if not await tx.broadcasts.cancel(broadcast.id):
            current = await tx.broadcasts.get(broadcast.id)
            raise BroadcastError(gone_text(current or broadcast))
        await tx.audit.record(person.key, "broadcast.cancelled", broadcast.batch, now)
    return broadcast


async def scheduled_for(services: Services, person: Person) -> list[Broadcast]:
    """Announcements set for later that this person may change: their area's (all for admins)."""
    return await services.store.read.broadcasts.scheduled(person.scope().path)


async def recent_for(services: Services, person: Person, limit: int = 5) -> list[Broadcast]:
    """The latest announcements of this person's area that have gone out (or are going out)."""
    found = await services.store.read.broadcasts.recent(limit * 4, person.scope().path)
    return [b for b in found if b.state in ("sending", "done")][:limit]


async def finish_if_complete(services: Services, broadcast: Broadcast) -> bool:
    """When no row of the broadcast is waiting any more, close it and report to its author."""
    counts = await services.store.read.outbox.batch_counts(broadcast.batch)
    if counts.get("pending", 0) or counts.get("sending", 0):
        return False
    errors = await services.store.read.outbox.batch_errors(broadcast.batch)
    now = services.clock.now()
    async with services.store.write() as tx:
        if not await tx.broadcasts.mark_done(broadcast.id, now):
            return False
        author = await tx.users.by_id(broadcast.author_id) if broadcast.author_id else None
        if author is not None:
            # One report each time the broadcast finishes (it finishes again after a resend).
            await notify(
                tx,
                author,
                f"broadcast-report:{broadcast.id}:{to_db(now)}",
                lambda: report(broadcast, counts, errors),
                now,
            )
        await tx.audit.record("system", "broadcast.finished", broadcast.batch, now, repr(dict(counts)))
    services.wake_delivery()
    return True
