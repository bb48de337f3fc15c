"""What this person's role can do: the command list every feature contributes to, by role."""

from __future__ import annotations

from bot.context import Role, Turn
from bot.i18n import _
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
