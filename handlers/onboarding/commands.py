"""Commands for everyone: start, help, language, cancel, and changing one's area."""

from __future__ import annotations

from bot import accounts, i18n
from bot.context import Turn
from bot.help import asks_for_family
from bot.i18n import _
from bot.model import Button
from bot.router import CommandHandler
from bot.text import esc
from handlers.onboarding.consent import Consent, apply_invite
from handlers.onboarding.flows import AREA_FLOW, show_help


def make_start(consent: Consent) -> tuple[CommandHandler, CommandHandler]:
    """/start (with an invite code, or not) and /help, which show the notice to guests."""

    async def start_command(turn: Turn, args: str) -> None:
        code = args.strip().split(" ")[0] if args.strip() else ""
        if turn.person.user is None:
            await consent.show_notice(turn, code[:40])
            return
        if code:
            await apply_invite(turn, code)
        if turn.person.user is not None and turn.person.user.area_id is None:
            turn.say(_("Welcome back! First, please tell me where you live."))
            await AREA_FLOW.start(turn)
            return
        name = esc(turn.msg.display_name) if turn.msg.display_name else ""
        turn.say(_("Welcome back, {name}!").format(name=name) if name else _("Welcome back!"))
        show_help(turn)

    async def help_command(turn: Turn, args: str) -> None:
        if turn.person.user is None:
            await consent.show_notice(turn)
            return
        show_help(turn, as_family=asks_for_family(args))

    return start_command, help_command


async def change_area(turn: Turn, args: str) -> None:
    await AREA_FLOW.start(turn)


async def lang_command(turn: Turn, args: str) -> None:
    choice = args.strip().lower()
    if choice in i18n.LANGUAGES:
        await _switch(turn, choice)
        return
    turn.say(
        _("Choose your language:"),
        [
            Button("Tiếng Việt", "lang:vi", ("tieng viet", "vietnamese", "vi")),
            Button("English", "lang:en", ("english", "tieng anh", "en")),
        ],
    )


async def lang_button(turn: Turn) -> None:
    await _switch(turn, (turn.msg.payload or "").split(":", 1)[1])


async def _switch(turn: Turn, language: str) -> None:
    if language not in i18n.LANGUAGES:
        return
    user = turn.person.user
    assert user is not None
    await accounts.set_language(turn.services, user, language)
    turn.person.language = language
    with i18n.use(language):
        turn.say(_("From now on I will write to you in English."))


async def cancel_command(turn: Turn, args: str) -> None:
    flow = turn.router.flows.get(turn.state.flow or "")
    if flow is None:
        turn.state.clear_flow()
        turn.say(_("There is nothing to cancel."))
        return
    turn.state.clear_flow()
    turn.say(_("Cancelled: {title}. What you had entered there was discarded.").format(title=_(flow.title)))
