"""Texts about a declaration: the household summary, the self-assessment, review notices.

All user content is escaped here; everything returned is Telegram HTML in the current language.
"""

from __future__ import annotations

from typing import Any

from bot import i18n
from bot.i18n import N_, _
from bot.text import esc
from handlers.declaration.criteria import MET, MISSING, NOT_APPLICABLE, REVIEW, Criteria, Outcome
from handlers.declaration.model import (
    ACTIVITIES,
    COMMUNITY,
    CONDITIONS,
    LEARNING,
    RELATIONS,
    age_in,
    label_of,
)

STATUS_LABELS = {
    "submitted": N_("waiting for the officer's review"),
    "approved": N_("confirmed by the officer"),
    "returned": N_("returned to you for changes"),
}
ACTION_LABELS = {
    "submitted": N_("submitted"),
    "amended": N_("changed"),
    "approved": N_("confirmed by an officer"),
    "returned": N_("returned by an officer"),
}
MARKS = {MET: "✅", MISSING: "❌", REVIEW: "🔎", NOT_APPLICABLE: "➖"}


def member_short(member: dict[str, Any], number: int) -> str:
    """ "2. Con, born 2012" — how a member is named in lists (no names are asked)."""
    return f"{number}. {member_label(member)}"


def member_label(member: dict[str, Any]) -> str:
    """ "Con, born 2012" — a member on a button (text channels number the buttons themselves)."""
    relation = _(label_of(RELATIONS, member.get("r")))
    if member.get("y") is None:
        return relation
    return _("{relation}, born {year}").format(relation=relation, year=member["y"])


def member_line(member: dict[str, Any], number: int, year: int) -> str:
    parts = [member_short(member, number)]
    if member.get("y") is not None:
        parts[0] += " " + _("({age} years old)").format(age=age_in(year, int(member["y"])))
    details = []
    if member.get("l"):
        details.append(_(label_of(LEARNING, member["l"])))
    if member.get("lit") is not None:
        details.append(_("can read and write") if member["lit"] else _("cannot read and write yet"))
    if member.get("a") is not None:
        chosen = [_(label_of(ACTIVITIES, k)) for k in member["a"]]
        details.append(
            _("learning this year: {list}").format(list=", ".join(chosen))
            if chosen
            else _("no learning activity this year")
        )
    return parts[0] + (" — " + "; ".join(details) if details else "")


def summary_lines(data: dict[str, Any], where: str, year: int) -> list[str]:
    members = data.get("m", [])
    lines = [
        _("Head of household: <b>{name}</b>").format(name=esc(data.get("h", "—"))),
        _("Area: {where}").format(where=where or "—"),
        _("Members ({count}):").format(count=len(members)),
    ]
    lines += [esc(member_line(m, n, year)) for n, m in enumerate(members, 1)]
    conditions = data.get("c")
    if conditions is not None:
        names = [_(label_of(CONDITIONS, k)) for k in conditions]
        lines.append(
            _("Learning conditions at home: {list}").format(list=", ".join(names) if names else _("none yet"))
        )
    if data.get("e"):
        lines.append(
            _("Community learning events: {answer}").format(answer=_(label_of(COMMUNITY, data["e"])))
        )
    lines.append(_("Note: {note}").format(note=esc(data["n"]) if data.get("n") else "—"))
    lines.append(
        _("Contact phone: {phone}").format(phone=esc(data["p"]) if data.get("p") else _("not given"))
    )
    return lines


def assessment_lines(
    criteria: Criteria, outcomes: list[Outcome], data: dict[str, Any], *, provisional: bool
) -> list[str]:
    """Criterion by criterion: met, missing (which members), for the village review, not applicable."""
    language = i18n.current_language()
    members = data.get("m", [])
    heading = (
        _("<b>Self-assessment — provisional until an officer reviews it</b>")
        if provisional
        else _("<b>Self-assessment</b> (the officer has reviewed the declaration)")
    )
    lines = [heading]
    part = None
    for outcome in outcomes:
        criterion = criteria.get(outcome.criterion)
        if criterion is None:  # the association changed its criteria since this was assessed
            continue
        current = criterion.part.get(language)
        if current and current != part:
            part = current
            lines.append(f"<b>{esc(part)}</b>")
        status = {
            MET: _("met"),
            MISSING: _("not yet met"),
            REVIEW: _("for the village review"),
            NOT_APPLICABLE: _("does not apply to this household"),
        }[outcome.status]
        lines.append(f"{MARKS[outcome.status]} {esc(criterion.title.get(language))}: <i>{status}</i>")
        if outcome.members:
            who = [esc(member_short(members[n - 1], n)) for n in outcome.members if 0 < n <= len(members)]
            lines.append("   " + _("Not yet: {members}").format(members="; ".join(who)))
        if outcome.status == REVIEW and criterion.detail.get(language):
            lines.append("   " + esc(criterion.detail.get(language)))
    lines.append("")
    lines.append(
        _(
            "This is a self-assessment, not a decision: the study promotion group of your village "
            "reviews every declaration, and the association decides."
        )
    )
    lines.append(
        _("Source: {source} {caveat}").format(
            source=esc(criteria.source.get(language)), caveat=esc(criteria.caveat.get(language))
        )
    )
    return lines


def outcomes_of(raw: list[dict[str, Any]]) -> list[Outcome]:
    return [Outcome.from_json(item) for item in raw]


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def action_label(action: str) -> str:
    return _(ACTION_LABELS.get(action, action))
