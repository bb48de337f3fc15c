"""The person's own data: see it (/dulieu) and delete it (/xoadulieu)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.context import Role, Turn
from bot.feature import Feature, PersonalData
from bot.i18n import N_
from bot.router import Command, Router
from handlers.privacy.commands import DELETE_FLOW, delete_command, my_data


class PrivacyFeature(Feature):
    name = "privacy"

    def __init__(self, sections: Sequence[PersonalData]) -> None:
        # What every other feature stores about the person, in the order /dulieu shows it.
        self.sections = tuple(sections)

    async def my_data(self, turn: Turn, args: str) -> None:
        await my_data(turn, self.sections)

    def register(self, router: Router) -> None:
        router.add_flow(DELETE_FLOW)
        router.add_command(
            Command(("dulieu", "mydata"), self.my_data, Role.FAMILY, N_("see the data I store about you"))
        )
        router.add_command(
            Command(
                ("xoadulieu", "deletedata"),
                delete_command,
                Role.FAMILY,
                N_("delete your data"),
                starts_flow=True,
            )
        )
