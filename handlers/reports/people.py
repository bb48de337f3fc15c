"""Officers: who has joined in their area (counts by sub-area, never outside their area)."""

from __future__ import annotations

from bot import i18n
from bot.context import Turn
from bot.i18n import _
from bot.text import esc


async def people_command(turn: Turn, args: str) -> None:
    store = turn.services.store.read
    person = turn.person
    scope = person.scope().area
    roots = await store.areas.children(None)
    if scope is None and len(roots) == 1:
        scope = roots[0]  # an administrator of a single city or province: start there
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
        if not person.can_see(part):
            continue
        count = await store.users.count(part.path)
        lines.append(f"• {esc(part.name)}: {i18n.fmt_number(count)}")
    turn.say("\n".join(lines))
