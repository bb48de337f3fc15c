"""Officers: who has joined in their area (counts by sub-area, never outside their area)."""

from __future__ import annotations

from bot import i18n
from bot.context import Role, Turn
from bot.i18n import _
from bot.text import esc


async def people_command(turn: Turn, args: str) -> None:
    store = turn.services.store.read
    person = turn.person
    if person.role == Role.ADMIN:
        roots = await store.areas.children(None)
        scope = roots[0] if len(roots) == 1 else None
    else:
        scope = person.officer_area
    if person.role == Role.OFFICER and scope is None:
        turn.say(_("Your officer role has no area. Please ask the administrator."))
        return
    if scope is None:
        total = await store.users.count()
        parts = roots
        title = _("Everyone")
    else:
        total = await store.users.count(scope.path)
        parts = await store.areas.children(scope.id)
        title = esc(scope.name)
    lines = [_("<b>People who joined the bot — {area}</b>").format(area=title)]
    lines.append(_("Total: {count}").format(count=i18n.fmt_number(total)))
    for part in parts:
        if not person.can_see(part) and person.role != Role.ADMIN:
            continue
        count = await store.users.count(part.path)
        lines.append(f"• {esc(part.name)}: {i18n.fmt_number(count)}")
    turn.say("\n".join(lines))
