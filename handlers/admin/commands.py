"""Administrators in chat: one-time invite links that make someone an officer of an area."""

from __future__ import annotations

from bot import accounts
from bot.choice import Option, match
from bot.context import Turn
from bot.i18n import _
from bot.model import Button
from bot.text import esc


async def invite_command(turn: Turn, args: str) -> None:
    store = turn.services.store.read
    wanted = args.strip()
    if wanted:
        area = await store.areas.get(wanted)
        found = None
        if area is None:
            everything = await store.areas.all()
            found = match(wanted, [Option(a.id, a.name) for a in everything], numbers=False)
            area = await store.areas.get(found.chosen.key) if found.chosen else None
        if area is not None:
            await _create(turn, area.id)
            return
        if found is not None and found.ambiguous:
            turn.say(
                _("Several areas match “{name}”. Which one?").format(name=esc(wanted)),
                [Button(o.label, f"invite:{o.key}") for o in found.candidates[:10]],
                columns=2,
            )
            return
        turn.say(_("I could not find the area “{name}”.").format(name=esc(wanted)))
    roots = await store.areas.children(None)
    wards = await store.areas.children(roots[0].id) if len(roots) == 1 else roots
    turn.say(
        _("Which area will the new officer serve? Tap one, or type /moi followed by the area's name."),
        [Button(a.name, f"invite:{a.id}") for a in wards],
        columns=2,
    )


async def invite_button(turn: Turn) -> None:
    turn.person.require_admin()
    area_id = (turn.msg.payload or "").partition(":")[2]
    if await turn.services.store.read.areas.get(area_id) is None:  # a forged or stale button
        turn.say(_("That button is no longer active."))
        return
    await _create(turn, area_id)


async def _create(turn: Turn, area_id: str) -> None:
    invite = await accounts.create_invite(turn.services, "officer", area_id, by=turn.person.key)
    area = await turn.services.store.read.areas.get(area_id)
    link = turn.services.invite_link(turn.person.channel, invite.code)
    turn.say(
        _(
            "Invite for an officer of <b>{area}</b> (one use, valid for {days} days):\n{link}\n"
            "Send it to the officer; they open it, or send the bot: /start {code}"
        ).format(
            area=esc(area.name if area else area_id),
            days=accounts.INVITE_DAYS,
            link=esc(link),
            code=invite.code,
        )
    )
