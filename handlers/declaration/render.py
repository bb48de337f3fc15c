"""Texts about a declaration: the household summary, the self-assessment, review notices.

All user content is escaped here; everything returned is Telegram HTML in the current language.
"""

from __future__ import annotations

import difflib
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
    "approved": N_("facts confirmed by the officer; the village review comes next"),
    "returned": N_("returned to you for changes"),
}
ACTION_LABELS = {
    "submitted": N_("submitted"),
    "amended": N_("changed"),
    "approved": N_("facts confirmed by an officer"),
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
    return f"{number}. {member_text(member, year)}"


def member_text(member: dict[str, Any], year: int) -> str:
    """A member without their number: relation, year of birth and age, learning, literacy."""
    text = member_label(member)
    if member.get("y") is not None:
        text += " " + _("({age} years old)").format(age=age_in(year, int(member["y"])))
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
    return text + (" — " + "; ".join(details) if details else "")


def _conditions(data: dict[str, Any]) -> str:
    conditions = data.get("c")
    if conditions is None:
        return "—"
    return ", ".join(_(label_of(CONDITIONS, k)) for k in conditions) or _("none yet")


def _community(data: dict[str, Any]) -> str:
    return _(label_of(COMMUNITY, data["e"])) if data.get("e") else "—"


def summary_lines(data: dict[str, Any], where: str, year: int) -> list[str]:
    members = data.get("m", [])
    lines = [
        _("Head of household: <b>{name}</b>").format(name=esc(data.get("h", "—"))),
        _("Area: {where}").format(where=where or "—"),
        _("Members ({count}):").format(count=len(members)),
    ]
    lines += [esc(member_line(m, n, year)) for n, m in enumerate(members, 1)]
    if data.get("c") is not None:
        lines.append(_("Learning conditions at home: {list}").format(list=_conditions(data)))
    if data.get("e"):
        lines.append(_("Community learning events: {answer}").format(answer=_community(data)))
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
    lines.append("")
    lines.append(f"<b>{overall_line([o for o in outcomes if criteria.get(o.criterion) is not None])}</b>")
    return lines


def overall_line(outcomes: list[Outcome]) -> str:
    """One plain line: how many criteria the household meets of those that apply to it."""
    applicable = [o for o in outcomes if o.status != NOT_APPLICABLE]
    met = sum(o.status == MET for o in applicable)
    missing = sum(o.status == MISSING for o in applicable)
    review = sum(o.status == REVIEW for o in applicable)
    figures = {"met": met, "total": len(applicable), "missing": missing}
    if missing and review:
        text = _(
            "Overall: {met} of {total} criteria met; {missing} not yet met (❌ above); the rest are "
            "for the village review."
        )
    elif missing:
        text = _("Overall: {met} of {total} criteria met; {missing} not yet met (❌ above).")
    elif review:
        text = _("Overall: {met} of {total} criteria met; the rest are for the village review.")
    else:
        text = _("Overall: {met} of {total} criteria met.")
    return text.format(**figures)


def changes_lines(
    old: dict[str, Any], new: dict[str, Any], old_where: str, new_where: str, year: int
) -> list[str]:
    """What differs between two versions of a declaration, one line per change (HTML-escaped
    user content; ``old_where``/``new_where`` are already escaped)."""
    lines = []

    def changed(label: str, before: str, after: str) -> None:
        if before != after:
            lines.append("• " + label.format(old=before, new=after))

    changed(_("Head of household: {old} → {new}"), esc(old.get("h", "—")), esc(new.get("h", "—")))
    changed(_("Area: {old} → {new}"), old_where, new_where)
    before = [member_text(m, year) for m in old.get("m", [])]
    after = [member_text(m, year) for m in new.get("m", [])]
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            lines.append(
                "• "
                + _("Member {number}: {old} → {new}").format(
                    number=j1 + k + 1, old=esc(before[i1 + k]), new=esc(after[j1 + k])
                )
            )
        for k in range(i1 + paired, i2):
            lines.append("• " + _("Member removed: {member}").format(member=esc(before[k])))
        for k in range(j1 + paired, j2):
            lines.append(
                "• " + _("Member added: {number}. {member}").format(number=k + 1, member=esc(after[k]))
            )
    changed(_("Learning conditions at home: {old} → {new}"), _conditions(old), _conditions(new))
    changed(_("Community learning events: {old} → {new}"), _community(old), _community(new))
    changed(_("Note: {old} → {new}"), esc(old.get("n") or "—"), esc(new.get("n") or "—"))
    changed(_("Contact phone: {old} → {new}"), esc(old.get("p") or "—"), esc(new.get("p") or "—"))
    return lines


def outcomes_of(raw: list[dict[str, Any]]) -> list[Outcome]:
    return [Outcome.from_json(item) for item in raw]


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def action_label(action: str) -> str:
    return _(ACTION_LABELS.get(action, action))
