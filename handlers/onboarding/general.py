"""Help, language and cancel: commands that work everywhere, for everyone."""

from __future__ import annotations

from bot import accounts, i18n
from bot.context import Role, Turn
from bot.i18n import N_, _
from bot.model import Button
from bot.router import Command, Router
from bot.text import esc


def help_text(turn: Turn) -> str:
    role = turn.person.role
    lines = [_("<b>What I can do for you</b>")]
    for command in turn.router.visible_commands(role):
        lines.append(f"/{command.names[0]} — {_(command.description)}")
    lines.append("")
    lines.append(_("You can also type a question in your own words, with or without accents."))
    if role >= Role.OFFICER:
        area = turn.person.officer_area
        if role == Role.ADMIN:
            lines.append(_("You are an administrator of the association."))
        elif area is not None:
            lines.append(_("You are an officer for: {area}.").format(area=esc(area.name)))
    return "\n".join(lines)


async def help_command(turn: Turn, args: str) -> None:
    if turn.person.user is None:
        from handlers.onboarding.commands import consent_buttons, consent_text

        turn.say(consent_text(), consent_buttons(turn.person.language, ""))
        return
    turn.say(help_text(turn))


async def lang_command(turn: Turn, args: str) -> None:
    choice = args.strip().lower()
    if choice in i18n.LANGUAGES:
        await _switch(turn, choice)
        return
    turn.say(
        _("Choose your language:"),
        [Button("Tiếng Việt", "lang:vi"), Button("English", "lang:en")],
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


def register(router: Router) -> None:
    router.add_command(Command(("trogiup", "help"), help_command, Role.GUEST, N_("what I can do")))
    router.add_command(Command(("ngonngu", "lang"), lang_command, Role.FAMILY, N_("Tiếng Việt / English")))
    router.add_command(
        Command(("huy", "cancel"), cancel_command, Role.FAMILY, N_("cancel what you are doing"))
    )
    router.on_payload("lang", lang_button)
