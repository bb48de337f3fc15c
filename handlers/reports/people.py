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
    listed = 0
    for part in parts:
        if not person.can_see(part):
            continue
        count = await store.users.count(part.path)
        listed += count
        lines.append(f"• {esc(part.name)}: {i18n.fmt_number(count)}")
    # Whoever lives in the area itself (no village chosen: officers often do) or, for the whole
    # bot, in no area yet: a line of its own, so the lines add up to the total.
    rest = total - listed
    if rest > 0 and parts:
        label = (
            _("no area chosen yet")
            if scope is None
            else _("in {area} itself, no village or group chosen").format(area=esc(scope.name))
        )
        lines.append(f"• {label}: {i18n.fmt_number(rest)}")
    turn.say("\n".join(lines))
