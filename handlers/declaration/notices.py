"""Telling officers about declarations families send: at once for the officers nearest to the
family, once a day as a digest for the officers of the areas above them.

The officers nearest to a family are those of the deepest area, among the family's village and
the areas above it, that has any officer (a village's officers where the village has some, else
the ward's…). They get one message per declaration sent or changed, queued through the outbox in
the transaction that stores it, with a button (and the command, for apps without buttons) to
review it. Officers of the areas above get, once a day at ``DIGEST_AT`` local time, one message
counting what was sent in their area since the last digest, by area one level below theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot import i18n
from bot.delivery.notify import notify
from bot.i18n import _
from bot.model import Button, Reply
from bot.scheduler import DueWork
from bot.services import Services
from bot.text import esc
from storage.declarations import Change, Declaration
from storage.events import area_ids_in_path
from storage.store import Repos
from storage.users import User

log = logging.getLogger(__name__)

DIGEST = "declaration:digest"  # the digest's name on the scheduler and in storage
DIGEST_AT = time(17, 0)  # local time: the end of an officer's working day
MAX_DIGEST_DAYS = 7  # after a long stop, one digest covers at most the last week


def nearest(officers: list[tuple[User, str]], family_id: int) -> tuple[list[User], list[tuple[User, str]]]:
    """(the officers nearest to the family, the officers above them), the family left out: nobody
    reviews their own household."""
    others = [(user, path) for user, path in officers if user.id != family_id]
    if not others:
        return [], []
    deepest = max(len(path) for _user, path in others)
    return (
        [user for user, path in others if len(path) == deepest],
        [(user, path) for user, path in others if len(path) < deepest],
    )


def _review_button(declaration_id: int) -> Button:
    return Button(_("Review #{id}").format(id=declaration_id), f"rev:o:{declaration_id}")


def _notice(declaration: Declaration, action: str, where: str) -> Reply:
    members = len(declaration.data.get("m", []))
    if action == "submitted":
        text = _(
            "📝 New declaration #{id} in {area}: the household of {head}, {members} members.\n"
            "Send /duyet {id} to review it."
        )
    else:
        text = _(
            "✏️ The family changed declaration #{id} in {area} (the household of {head}): version "
            "{version}.\nSend /duyet {id} to see what changed and review it."
        )
    return Reply.make(
        text.format(
            id=declaration.id,
            area=esc(where),
            head=esc(declaration.head_name),
            members=i18n.fmt_number(members),
            version=declaration.version,
        ),
        [_review_button(declaration.id)],
    )


async def tell_officers(tx: Repos, declaration: Declaration, action: str, family: User, now: datetime) -> int:
    """Queue a notice to the officers nearest to the family, inside the transaction that stored
    the declaration's new version; returns how many were queued."""
    area = await tx.areas.get(declaration.area_id)
    if area is None:
        return 0
    recipients, _above = nearest(await tx.users.officers_over(area.path), family.id)
    queued = 0
    for officer in recipients:
        queued += await notify(
            tx,
            officer,
            f"decl-new:{declaration.id}:{declaration.version}",
            lambda: _notice(declaration, action, area.name),
            now,
            about=family,
        )
    return queued


# -- the daily digest --------------------------------------------------------------------------
def latest_digest_time(now: datetime, services: Services) -> datetime:
    """The last digest time (``DIGEST_AT`` local) at or before ``now``."""
    tz = services.settings.timezone
    local = now.astimezone(tz)
    today = datetime.combine(local.date(), DIGEST_AT, tz)
    return today if today <= local else today - timedelta(days=1)


@dataclass(slots=True)
class _Counts:
    new: int = 0
    changed: int = 0


async def _digest(tx: Repos, officer_path: str, changes: list[Change], since: datetime) -> Reply:
    """One officer's digest: what was sent in their area, by area one level below theirs."""
    depth = len(area_ids_in_path(officer_path))
    by_part: dict[str, _Counts] = {}
    first: dict[int, str] = {}  # declaration id → its first action in the period
    for change in changes:
        first.setdefault(change.declaration_id, change.action)
    for declaration_id, action in first.items():
        change = next(c for c in changes if c.declaration_id == declaration_id)
        ids = area_ids_in_path(change.area_path)
        part = ids[depth] if len(ids) > depth else ids[-1]
        counts = by_part.setdefault(part, _Counts())
        if action == "submitted":
            counts.new += 1
        else:
            counts.changed += 1
    officer_area = await tx.areas.get(area_ids_in_path(officer_path)[-1])
    lines = [
        _("<b>Declarations in {area} since {since}</b>").format(
            area=esc(officer_area.name if officer_area else ""), since=i18n.fmt_datetime(since)
        )
    ]
    for part, counts in by_part.items():
        area = await tx.areas.get(part)
        figures = []
        if counts.new:
            figures.append(_("{n} new").format(n=i18n.fmt_number(counts.new)))
        if counts.changed:
            figures.append(_("{n} changed").format(n=i18n.fmt_number(counts.changed)))
        lines.append(f"• {esc(area.name if area else part)}: {', '.join(figures)}")
    waiting = await tx.declarations.count_pending(officer_path)
    lines.append(
        _("Waiting for review in your area now: {n}. Send /duyet to see them.").format(
            n=i18n.fmt_number(waiting)
        )
    )
    return Reply.make("\n".join(lines), [Button(_("Declarations waiting for review"), "rev:p:0")])


def _constant(reply: Reply) -> Callable[[], Reply]:
    return lambda: reply


class DeclarationDigest(DueWork[int]):
    """Once a day, each officer of an area above the nearest officers gets a digest of what the
    families of their area sent since the last one; reports how many digests were queued."""

    name = DIGEST
    sweep_seconds = 900.0  # another process may have been the one that was due

    def __init__(self, services: Services) -> None:
        self.services = services

    async def next_due(self) -> datetime | None:
        latest = latest_digest_time(self.services.clock.now(), self.services)
        done = await self.services.store.read.digests.last(DIGEST)
        return latest if done is None or done < latest else latest + timedelta(days=1)

    async def run_due(self) -> int:
        services = self.services
        now = services.clock.now()
        until = latest_digest_time(now, services)
        done = await services.store.read.digests.last(DIGEST)
        if done is not None and done >= until:
            return 0
        since = max(done or until - timedelta(days=1), until - timedelta(days=MAX_DIGEST_DAYS))
        queued = 0
        async with services.store.write() as tx:
            if not await tx.digests.claim(DIGEST, until, now):
                return 0  # another process sent it
            by_officer: dict[int, tuple[User, str, list[Change]]] = {}
            for change in await tx.declarations.changes(since, until):
                declaration = await tx.declarations.get(change.declaration_id)
                family = declaration.user_id if declaration is not None else 0
                _near, above = nearest(await tx.users.officers_over(change.area_path), family)
                for officer, path in above:
                    by_officer.setdefault(officer.id, (officer, path, []))[2].append(change)
            day = until.astimezone(services.settings.timezone).date().isoformat()
            for officer, path, changes in by_officer.values():
                with i18n.use(officer.language, services.settings.timezone):
                    reply = await _digest(tx, path, changes, since)
                queued += await notify(tx, officer, f"decl-digest:{day}", _constant(reply), now)
        if queued:
            log.info("declaration digest for %s: %d officers", until.isoformat(), queued)
            services.wake_delivery()
        return queued
