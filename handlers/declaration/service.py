"""Submitting, amending and reviewing declarations: each one atomic unit of work.

Every write records who did what (audit log), keeps the version in the history, counts the event
anonymously for reports and, for reviews, queues the family's notice in the same transaction.
A household is the account that declares it: one declaration per account and campaign year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import i18n
from bot.context import Person, Role
from bot.delivery.notify import notify
from bot.i18n import _
from bot.model import Button, Reply
from bot.services import Services
from bot.text import esc, fold
from handlers.declaration import notices
from handlers.declaration.criteria import Criteria, Outcome
from handlers.declaration.model import campaign_year, household_data
from storage.declarations import Declaration
from storage.users import User


@dataclass(frozen=True, slots=True)
class Submitted:
    declaration: Declaration | None
    outcomes: list[Outcome]
    problem: str | None = None  # "exists" (already declared this year) | "reviewed" (cannot amend)


@dataclass(frozen=True, slots=True)
class Reviewed:
    declaration: Declaration | None
    problem: str | None = None  # "not_found" | "forbidden" | "own" | "stale"


def current_year(services: Services) -> int:
    return campaign_year(services.clock.now(), services.settings.timezone)


async def submit(services: Services, user: User, draft: dict[str, Any], criteria: Criteria) -> Submitted:
    """Store a new declaration, or a new version of the one being amended (``draft['id']``)."""
    now = services.clock.now()
    data = household_data(draft)
    year = int(draft.get("yr") or current_year(services))
    outcomes = criteria.evaluate(data, year)
    assessment = [o.to_json() for o in outcomes]
    head = str(data["h"])
    async with services.store.write() as tx:
        if draft.get("id"):
            declaration = await tx.declarations.amend(
                int(draft["id"]),
                int(draft["ver"]),
                area_id=str(data["a"]),
                head_name=head,
                head_fold=fold(head),
                data=data,
                assessment=assessment,
                now=now,
            )
            if declaration is None or declaration.user_id != user.id:
                return Submitted(None, outcomes, "reviewed")
            action = "amended"
        else:
            declaration = await tx.declarations.create(
                user_id=user.id,
                year=year,
                area_id=str(data["a"]),
                head_name=head,
                head_fold=fold(head),
                data=data,
                assessment=assessment,
                now=now,
            )
            if declaration is None:
                return Submitted(None, outcomes, "exists")
            action = "submitted"
            # Counted once per household and year, anonymously, for the weekly reports.
            await tx.events.record("declaration.submitted", user.area_id, user.channel, now)
        await tx.declarations.add_history(
            declaration.id,
            declaration.version,
            action,
            actor_id=user.id,
            actor_role="family",
            now=now,
            data=data,
        )
        # The officers nearest to the family hear of it now; those above, in the daily digest.
        await notices.tell_officers(tx, declaration, action, user, now)
        await tx.audit.record(
            user.key,
            f"declaration.{action}",
            f"declaration:{declaration.id}",
            now,
            f"year {declaration.year}, version {declaration.version}",
        )
    services.wake_delivery()
    return Submitted(declaration, outcomes)


def _review_notice(declaration: Declaration, decision: str, reason: str | None, area: str) -> Reply:
    if decision == "approved":
        text = _(
            "The study promotion officer has checked your household's declaration for {year} and "
            "confirmed the facts in it: head of household {head}, {members} members, {area}.\n"
            "This is not yet the “Gia đình học tập” title. Next, the study promotion group of your "
            "village reviews the households at its meeting (bình xét), usually at the end of the year; "
            "the title is then recognised at the commune/ward level."
        ).format(
            year=declaration.year,
            head=esc(declaration.head_name),
            members=i18n.fmt_number(len(declaration.data.get("m", []))),
            area=esc(area),
        )
    else:
        text = _(
            "The study promotion officer has returned your household's declaration for {year} "
            "so that you can complete it.\nReason: {reason}\nPlease send /khaibao to make the changes "
            "and send it again."
        ).format(year=declaration.year, reason=esc(reason or ""))
    return Reply.make(text, [Button(_("See my declaration"), "decl:view")])


async def review(
    services: Services,
    reviewer: Person,
    declaration_id: int,
    version: int,
    decision: str,
    reason: str | None = None,
) -> Reviewed:
    """Approve or return the version the officer saw; only one reviewer of a version can succeed."""
    if decision not in ("approved", "returned"):
        raise ValueError(f"unknown decision {decision!r}")
    if reviewer.role < Role.OFFICER or reviewer.user is None:
        return Reviewed(None, "forbidden")
    now = services.clock.now()
    async with services.store.write() as tx:
        # Locked: a second reviewer (in any process) waits here, then finds the version decided.
        current = await tx.declarations.get(declaration_id, for_update=True)
        if current is None:
            return Reviewed(None, "not_found")
        area = await tx.areas.get(current.area_id)
        if area is None or not reviewer.can_see(area):
            return Reviewed(None, "forbidden")
        if current.user_id == reviewer.user.id:
            return Reviewed(current, "own")
        # The guard: a conditional UPDATE on (id, version, status) inside the write transaction.
        done = await tx.declarations.review(
            declaration_id, version, status=decision, reviewer_id=reviewer.user.id, reason=reason, now=now
        )
        if done is None:
            return Reviewed(current, "stale")
        await tx.declarations.add_history(
            done.id,
            done.version,
            decision,
            actor_id=reviewer.user.id,
            actor_role="admin" if reviewer.role == Role.ADMIN else "officer",
            now=now,
            reason=reason,
        )
        await tx.audit.record(
            reviewer.key,
            f"declaration.{decision}",
            f"declaration:{done.id}",
            now,
            f"year {done.year}, version {done.version}",
        )
        family = await tx.users.by_id(done.user_id)
        if family is not None:
            await tx.events.record(f"declaration.{decision}", family.area_id, family.channel, now)
            await notify(
                tx,
                family,
                f"review:{done.id}:{done.version}",
                lambda: _review_notice(done, decision, reason, area.name),
                now,
                kind="notice",
            )
    services.wake_delivery()  # send the notice now rather than at the worker's next poll
    return Reviewed(done)
