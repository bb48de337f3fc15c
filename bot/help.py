"""What this person's role can do, one line per command: a family sees a family's commands; an
officer sees theirs in groups (declarations, announcements, sessions, reports…), then a pointer to
the family's commands, which they may use as residents too (``/trogiup giadinh``)."""

from __future__ import annotations

from bot.context import Role, Turn
from bot.i18n import _
from bot.router import Command
from bot.text import esc, fold

FAMILY_WORDS = frozenset({"giadinh", "gia dinh", "family", "nguoidan", "nguoi dan"})


def _line(command: Command) -> str:
    return f"/{command.names[0]} — {_(command.description)}"


def help_text(turn: Turn, as_family: bool = False) -> str:
    """The help of the person's role; ``as_family`` shows an officer the family's commands."""
    role = turn.person.role
    sections = turn.router.sections(Role.FAMILY if as_family else role)
    *groups, family, common = sections
    lines: list[str] = []
    if role >= Role.OFFICER and not as_family:
        if role == Role.ADMIN:
            lines.append(_("<b>Your work as an administrator</b>"))
        else:
            lines.append(_("<b>Your work as a study promotion officer</b>"))
        for group in groups:
            lines.append(f"<b>{_(group.title or '')}</b>")
            lines += [_line(c) for c in group.commands]
        if family.commands:
            lines.append("")
            lines.append(
                _(
                    "For your own household, the family commands work too ({examples}…): /trogiup giadinh."
                ).format(examples=", ".join(f"/{c.names[0]}" for c in family.commands[:3]))
            )
    else:
        lines.append(_("<b>What I can do for you</b>"))
        lines += [_line(c) for c in family.commands]
    lines.append("")
    lines += [_line(c) for c in common.commands if c.names[0] != "start"]
    lines.append("")
    lines.append(_("You can also type a question in your own words, with or without accents."))
    if role >= Role.OFFICER:
        area = turn.person.officer_area
        if role == Role.ADMIN:
            lines.append(_("You are an administrator of the association."))
        elif area is not None:
            lines.append(_("You are an officer for: {area}.").format(area=esc(area.name)))
    return "\n".join(lines)


def asks_for_family(args: str) -> bool:
    """``/trogiup giadinh``: an officer asking for the family's commands."""
    return fold(args).strip() in FAMILY_WORDS
