"""The family's yearly declaration of learning activities: /khaibao and /xemkhaibao.

/khaibao starts the form (bot/declaration/form.py) or, when the household has declared this year
and no officer has reviewed it yet, opens its summary to change it; /xemkhaibao shows the
declaration, its provisional self-assessment and its history.
"""

from __future__ import annotations

from typing import Any

from bot import i18n
from bot.context import Turn
from bot.i18n import _
from bot.model import Button
from bot.router import CommandHandler, Handler
from bot.text import esc
from handlers.declaration import service
from handlers.declaration.flows import SUMMARY, DeclarationFlow, where_text
from handlers.declaration.model import DATA_KEYS
from handlers.declaration.render import (
    action_label,
    assessment_lines,
    outcomes_of,
    status_label,
    summary_lines,
)
from storage.declarations import Declaration


def _draft_from(declaration: Declaration) -> dict[str, Any]:
    draft = {k: v for k, v in declaration.data.items() if k in DATA_KEYS}
    draft.update({"id": declaration.id, "ver": declaration.version, "yr": declaration.year})
    return draft


def make_handlers(flow: DeclarationFlow) -> tuple[CommandHandler, CommandHandler, Handler]:
    async def declare(turn: Turn, args: str) -> None:
        user = turn.person.user
        assert user is not None
        year = service.current_year(turn.services)
        existing = await turn.services.store.read.declarations.for_user(user.id, year)
        if existing is None:
            turn.say(
                _(
                    "<b>Declaring your household's learning — “Gia đình học tập” {year}</b>\n"
                    "I will ask about your household step by step (about 5 minutes). Only what the "
                    "criteria need: no ID numbers. Everything is saved after each answer; type /huy "
                    "at any time to stop."
                ).format(year=year)
            )
            await flow.start(turn, {"yr": year, **({"a": user.area_id} if user.area_id else {})})
            return
        if not existing.amendable:
            turn.say(
                _(
                    "Your household's declaration for {year} has been confirmed by the officer, so it can "
                    "no longer be changed. Send /xemkhaibao to see it."
                ).format(year=year)
            )
            return
        intro = _("Your household has already sent a declaration for {year} ({status}).").format(
            year=year, status=status_label(existing.status)
        )
        if existing.status == "returned" and existing.review_reason:
            intro += "\n" + _("The officer's reason: {reason}").format(reason=esc(existing.review_reason))
        turn.say(intro + "\n" + _("Here it is: choose what to change, then send it again."))
        await flow.start(turn, _draft_from(existing), step=SUMMARY)

    async def view(turn: Turn, args: str) -> None:
        user = turn.person.user
        assert user is not None
        store = turn.services.store.read
        year = service.current_year(turn.services)
        declarations = await store.declarations.all_for_user(user.id)
        if not declarations:
            turn.say(
                _("Your household has not declared yet for {year}. Send /khaibao to start.").format(year=year)
            )
            return
        latest = declarations[0]
        chain = await store.areas.ancestors(latest.area_id)
        lines = [
            _("<b>Your household's declaration — “Gia đình học tập” {year}</b>").format(year=latest.year),
            _("Status: {status} (version {version}, last change {when})").format(
                status=status_label(latest.status),
                version=latest.version,
                when=i18n.fmt_datetime(latest.updated_at),
            ),
        ]
        if latest.status == "returned" and latest.review_reason:
            lines.append(_("The officer's reason: {reason}").format(reason=esc(latest.review_reason)))
        lines += summary_lines(latest.data, where_text(chain), latest.year)
        turn.say("\n".join(lines))
        turn.say(
            "\n".join(
                assessment_lines(
                    flow.criteria,
                    outcomes_of(latest.assessment),
                    latest.data,
                    provisional=latest.status != "approved",
                )
            )
        )
        history = await store.declarations.history(latest.id)

        entries = [
            _("• {when}: {action} (version {version})").format(
                when=i18n.fmt_datetime(h.at), action=action_label(h.action), version=h.version
            )
            for h in history
        ]
        older = [
            _("• {year}: {status}").format(year=d.year, status=status_label(d.status))
            for d in declarations[1:]
        ]
        text = _("<b>History of changes</b>") + "\n" + "\n".join(entries)
        if older:
            text += "\n\n" + _("<b>Earlier years</b>") + "\n" + "\n".join(older)
        if latest.amendable and latest.year == year:
            turn.say(text, [Button(_("Change my declaration"), "decl:edit", ("@edit", "sua khai bao"))])
        else:
            turn.say(text)

    async def button(turn: Turn) -> None:
        action = (turn.msg.payload or "").split(":", 1)[-1]
        if turn.person.user is None:
            return
        if action == "edit":
            await declare(turn, "")
        else:
            await view(turn, "")

    return declare, view, button
