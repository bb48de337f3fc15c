"""The family's yearly declaration ("Gia đình học tập") and the officers' review of it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot import i18n
from bot.context import Role, Turn
from bot.feature import DataSection, Feature, Lazy
from bot.i18n import N_, _
from bot.router import Command, Router
from bot.scheduler import DueWork
from bot.services import Services
from bot.text import esc
from handlers.declaration import review
from handlers.declaration.commands import make_handlers
from handlers.declaration.criteria import Criteria, CriteriaError, load_criteria
from handlers.declaration.flows import DeclarationFlow
from handlers.declaration.notices import DeclarationDigest
from handlers.declaration.render import action_label, status_label, summary_lines
from handlers.declaration.service import current_year


class DeclarationFeature(Feature):
    name = "declaration"

    def __init__(self, criteria_path: Path) -> None:
        # Loaded on first use (or by check() when the bot starts), once for the form and the review.
        self.criteria: Lazy[Criteria] = Lazy(lambda: load_criteria(criteria_path), (CriteriaError,))

    def check(self) -> None:
        self.criteria.check()

    def register(self, router: Router) -> None:
        flow = DeclarationFlow(self.criteria)
        declare, view, button = make_handlers(flow)
        router.add_flow(flow)
        router.add_command(
            Command(
                ("khaibao", "declare"),
                declare,
                Role.FAMILY,
                N_("declare your household's learning (Gia đình học tập)"),
                starts_flow=True,
            )
        )
        router.add_command(
            Command(
                ("xemkhaibao", "mydeclaration"), view, Role.FAMILY, N_("see your household's declaration")
            )
        )
        router.on_payload("decl", button)
        return_flow = review.ReturnFlow(self.criteria)
        review_command, review_button = review.make_handlers(self.criteria, return_flow)
        router.add_flow(return_flow)
        router.add_command(
            Command(
                ("duyet", "review"),
                review_command,
                Role.OFFICER,
                N_("review families' declarations (officers)"),
            )
        )
        router.on_payload("rev", review_button)

    def due_work(self, services: Services) -> Sequence[DueWork[Any]]:
        # Once a day, officers of the areas above the nearest ones get a digest of what was sent.
        return (DeclarationDigest(services),)

    async def personal_data(self, turn: Turn) -> DataSection:
        user = turn.person.user
        assert user is not None
        store = turn.services.store.read
        section = DataSection()
        if turn.state.flow == DeclarationFlow.name:
            draft = turn.state.draft
            chain = await store.areas.ancestors(draft.get("a") or "")
            where = ", ".join(esc(a.name) for a in reversed(chain))
            section.lines.append(
                _("• A declaration you have started but not sent yet (saved after each answer):")
            )
            year = int(draft.get("yr") or current_year(turn.services))
            section.lines += ["   " + line for line in summary_lines(draft, where, year)]
        reviews = await store.declarations.reviews_by(user.id)
        if reviews:
            section.lines.append(
                _("• Declarations you reviewed as an officer: {count}").format(count=reviews)
            )
        section.messages = await declaration_texts(turn)
        return section


async def declaration_texts(turn: Turn) -> list[str]:
    """Each declaration of the person's household, in full, with its history of changes."""
    user = turn.person.user
    assert user is not None
    store = turn.services.store.read
    texts = []
    for item in await store.declarations.all_for_user(user.id):
        chain = await store.areas.ancestors(item.area_id)
        lines = [
            _("<b>Your household's declaration — “Gia đình học tập” {year}</b>").format(year=item.year),
            _("Status: {status} (version {version}, last change {when})").format(
                status=status_label(item.status),
                version=item.version,
                when=i18n.fmt_datetime(item.updated_at),
            ),
        ]
        if item.review_reason:
            lines.append(_("The officer's reason: {reason}").format(reason=esc(item.review_reason)))
        lines += summary_lines(item.data, ", ".join(esc(a.name) for a in reversed(chain)), item.year)
        lines.append(_("<b>History of changes</b>"))
        for entry in await store.declarations.history(item.id):
            lines.append(
                _("• {when}: {action} (version {version})").format(
                    when=i18n.fmt_datetime(entry.at), action=action_label(entry.action), version=entry.version
                )
            )
        texts.append("\n".join(lines))
    return texts
