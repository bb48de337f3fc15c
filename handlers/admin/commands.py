"""Administrators in chat: one-time invite links that make someone an officer of an area."""

from __future__ import annotations

from bot import accounts
from bot.context import Role, Turn
from bot.flow import Option, pick
from bot.i18n import _
from bot.model import Button
from bot.text import esc


async def invite_command(turn: Turn, args: str) -> None:
    store = turn.services.store.read
    wanted = args.strip()
    if wanted:
        area = await store.areas.get(wanted)
        if area is None:
            everything = await store.areas.all()
            from bot.context import Answer

            choice = pick("x", Answer(wanted, None), [Option(a.id, a.name) for a in everything])
            area = await store.areas.get(choice.key) if choice else None
        if area is None:
            turn.say(_("I could not find the area “{name}”.").format(name=esc(wanted)))
        else:
            await _create(turn, area.id)
            return
    roots = await store.areas.children(None)
    wards = await store.areas.children(roots[0].id) if len(roots) == 1 else roots
    turn.say(
        _("Which area will the new officer serve? Tap one, or type /moi followed by the area's name."),
        [Button(a.name, f"invite:{a.id}") for a in wards],
        columns=2,
    )


async def invite_button(turn: Turn) -> None:
    if turn.person.role < Role.ADMIN:
        turn.say(_("Sorry, this command is only for officers or administrators of the association."))
        return
    await _create(turn, (turn.msg.payload or "").split(":", 1)[1])


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
