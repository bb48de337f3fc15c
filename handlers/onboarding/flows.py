"""Choosing where the person lives: ward, then village or residential group, then confirm."""

from __future__ import annotations

from bot import accounts
from bot.area_picker import AreaPicker
from bot.context import Answer, Turn
from bot.flow import DONE, Confirm, StepFlow
from bot.help import help_text
from bot.i18n import N_, _
from bot.text import esc

CONFIRM_AREA = Confirm(N_("Yes, that is right"), N_("No, choose again"))


def show_help(turn: Turn, as_family: bool = False) -> None:
    """What this person's role can do (also shown after onboarding); ``as_family``: an officer
    asked for the family's commands (/trogiup giadinh)."""
    turn.say(help_text(turn, as_family))


class AreaFlow(StepFlow):
    """Choose the ward, then the village or residential group, from the area tree."""

    name = "area"
    first_step = "pick"
    title = N_("choosing your area")
    picker = AreaPicker(
        "pick",
        "parent",
        "page",
        N_("Which ward or commune do you live in?"),
        N_("{ward}: which village or residential group do you live in?"),
    )

    async def ask_pick(self, turn: Turn) -> None:
        if not await self.picker.ask(turn):
            turn.state.clear_flow()

    async def on_pick(self, turn: Turn, answer: Answer) -> str:
        chosen = await self.picker.choose(turn, answer)
        if chosen is None:
            return "pick"
        turn.state.draft["chosen"] = chosen
        return "confirm"

    async def ask_confirm(self, turn: Turn) -> None:
        chain = await turn.services.store.read.areas.ancestors(turn.state.draft["chosen"])
        where = ", ".join(esc(a.name) for a in reversed(chain))
        CONFIRM_AREA.ask(turn, _("You live in: <b>{where}</b>. Is that right?").format(where=where))

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        if not CONFIRM_AREA.answer(turn):
            turn.state.draft = {}
            return "pick"
        user = turn.person.user
        assert user is not None
        area_id = turn.state.draft["chosen"]
        await accounts.set_home_area(turn.services, user, area_id)
        turn.person.area = await turn.services.store.read.areas.get(area_id)
        return DONE

    async def on_done(self, turn: Turn) -> None:
        turn.say(_("All set! I will send you news and reminders for your area."))
        show_help(turn)


AREA_FLOW = AreaFlow()
