"""Announcements after they are written: the list (/dsthongbao), changing the time or the text of
one set for later, cancelling it, and sending again to those not confirmed (/guilai).

Screens are buttons ``bcl:<action>:<id>`` (``o`` open, ``l`` the list, ``t`` change the time, ``x``
change the text, ``c`` ask to cancel, ``cy`` cancel); each is checked again on the server, since
payloads can be forged and the announcement may have gone out in the meantime. Cancelling is a
yes/no screen rather than a form step: "huỷ" typed there picks "Yes, cancel it", where inside a
form it would leave the form.
"""

from __future__ import annotations

from datetime import datetime

from bot import i18n
from bot.choice import Option, yes_no_options
from bot.choice import buttons as option_buttons
from bot.context import Answer, Turn
from bot.flow import DONE, Reask, StepFlow
from bot.i18n import N_, _
from bot.model import Button
from bot.text import ID_MAX, esc, parse_id, parse_int
from handlers.broadcast import service as broadcast
from handlers.broadcast.service import AUDIENCE_NAMES, Audience, BroadcastError
from handlers.broadcast.when import EXAMPLE, read_time
from storage.broadcasts import Broadcast

LIST = "bcl"
RESEND = "bcr"
PREVIEW_CHARS = 60
BACK = ("@back", "@list", "danh sach")
TIME_WORDS = ("doi gio", "gio", "thoi gian", "ngay gio", "time")
TEXT_WORDS = ("@edit", "sua noi dung", "noi dung", "text")
CANCEL_WORDS = ("@cancel", "huy thong bao", "bo thong bao")


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1].rstrip() + "…"


async def _audience_text(turn: Turn, item: Broadcast) -> str:
    area = await turn.services.store.read.areas.get(item.area_id) if item.area_id else None
    name = _(AUDIENCE_NAMES.get(item.audience, item.audience))
    return f"{name} — {esc(area.name)}" if area is not None else name


def _figures(counts: dict[str, int]) -> str:
    total = broadcast.delivered_total(counts)
    text = _("delivered {sent} of {total}").format(
        sent=i18n.fmt_number(counts.get("sent", 0)), total=i18n.fmt_number(total)
    )
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    if waiting:
        text += ", " + _("{n} still sending").format(n=i18n.fmt_number(waiting))
    if counts.get("uncertain"):
        text += ", " + _("{n} not confirmed").format(n=i18n.fmt_number(counts["uncertain"]))
    return text


async def show_list(turn: Turn) -> None:
    scope = turn.person.scope()
    services = turn.services
    waiting = await broadcast.scheduled_for(services, turn.person)
    title = esc(scope.area.name) if scope.area is not None else _("all areas")
    lines = [_("<b>Announcements set for later — {area}</b>").format(area=title)]
    buttons: list[Button] = []
    if not waiting:
        lines.append(_("None is waiting to be sent."))
    for item in waiting:
        lines.append(
            _("#{id} — {when} — {audience}: “{text}”").format(
                id=item.id,
                when=i18n.fmt_datetime(item.scheduled_at),
                audience=await _audience_text(turn, item),
                text=esc(_short(item.text)),
            )
        )
        label = _("#{id} at {when}").format(id=item.id, when=_short_time(item))
        buttons.append(Button(label, f"{LIST}:o:{item.id}", (f"#{item.id}", f"so {item.id}")))
    sent = await broadcast.recent_for(services, turn.person)
    if sent:
        lines.append("")
        lines.append(_("<b>Sent recently</b>"))
        for item in sent:
            counts = await services.store.read.outbox.batch_counts(item.batch)
            line = _("#{id} — {when} — {figures}").format(
                id=item.id, when=_short_time(item), figures=_figures(counts)
            )
            if counts.get("uncertain"):
                line += " — " + _("to send again: /guilai {id}").format(id=item.id)
            lines.append(line)
    lines.append("")
    if waiting:
        lines.append(_("Choose one to change its time or text, or to cancel it. A new one: /thongbao."))
    else:
        lines.append(_("To write one: /thongbao."))
    turn.say("\n".join(lines), buttons)


def _short_time(item: Broadcast) -> str:
    local = i18n.local_time(item.scheduled_at)
    return f"{local:%H:%M %d/%m}"


async def show_one(turn: Turn, broadcast_id: int) -> None:
    try:
        item = await broadcast.visible(turn.services, turn.person, broadcast_id)
    except BroadcastError as problem:
        turn.say(str(problem))
        return
    audience = Audience(item.audience, item.area_id, item.audience_param)
    lines = [_("<b>Announcement #{id}</b>").format(id=item.id)]
    buttons = [Button(_("Back to the list"), f"{LIST}:l:0", BACK)]
    if item.state == "scheduled":
        count = await broadcast.count_recipients(turn.services, audience, turn.person)
        lines += [
            _("Set for: {when}").format(when=i18n.fmt_datetime(item.scheduled_at)),
            _("To: {audience} (about {n} people now)").format(
                audience=await _audience_text(turn, item), n=i18n.fmt_number(count)
            ),
            _("Text:"),
            esc(item.text),
        ]
        buttons = [
            Button(_("Change the time"), f"{LIST}:t:{item.id}", TIME_WORDS),
            Button(_("Change the text"), f"{LIST}:x:{item.id}", TEXT_WORDS),
            Button(_("Cancel this announcement"), f"{LIST}:c:{item.id}", CANCEL_WORDS),
            *buttons,
        ]
    elif item.state == "cancelled":
        lines.append(_("Cancelled: it was not sent."))
    else:
        counts = await turn.services.store.read.outbox.batch_counts(item.batch)
        lines += [
            _("Sent: {when}").format(when=i18n.fmt_datetime(item.fanned_out_at or item.scheduled_at)),
            _("To: {audience}").format(audience=await _audience_text(turn, item)),
            _figures(counts),
            _("Text:"),
            esc(item.text),
        ]
        if counts.get("uncertain"):
            buttons.insert(0, Button(_("Send again to those not confirmed"), f"{RESEND}:{item.id}"))
    turn.say("\n".join(lines), buttons)


class EditFlow(StepFlow):
    """Change the time or the text of an announcement set for later."""

    name = "broadcast_edit"
    first_step = "at"
    title = N_("changing an announcement")

    async def _item(self, turn: Turn) -> Broadcast:
        try:
            return await broadcast.visible(turn.services, turn.person, int(turn.state.draft["id"]))
        except BroadcastError as problem:
            raise Reask(str(problem)) from None

    async def ask_at(self, turn: Turn) -> None:
        item = await self._item(turn)
        turn.say(
            _("Announcement #{id} is set for {when}. Type the new date and time, {example}.").format(
                id=item.id, when=i18n.fmt_datetime(item.scheduled_at), example=_(EXAMPLE)
            )
        )

    async def on_at(self, turn: Turn, answer: Answer) -> str:
        if answer.payload is not None:
            raise Reask(_("Please type the new date and time."))
        when = read_time(turn.services, answer.text)
        return await self._apply(turn, "at", when.isoformat())

    async def ask_text(self, turn: Turn) -> None:
        item = await self._item(turn)
        turn.say(
            _("Type the new text of announcement #{id} (up to {limit} characters). Now it reads:").format(
                id=item.id, limit=i18n.fmt_number(broadcast.MAX_TEXT)
            )
            + "\n"
            + esc(item.text)
        )

    async def on_text(self, turn: Turn, answer: Answer) -> str:
        text = answer.text.strip()
        if answer.payload is not None or len(text) < 5:
            raise Reask(_("That is too short for an announcement. Please type the full text."))
        if len(text) > broadcast.MAX_TEXT:
            raise Reask(
                _("That is {n} characters; the limit is {limit}. Please shorten it.").format(
                    n=i18n.fmt_number(len(text)), limit=i18n.fmt_number(broadcast.MAX_TEXT)
                )
            )
        return await self._apply(turn, "text", text)

    async def _apply(self, turn: Turn, what: str, value: str) -> str:
        broadcast_id = int(turn.state.draft["id"])
        turn.state.clear_flow()  # the screens below show buttons outside this flow
        try:
            if what == "at":
                item = await broadcast.reschedule(
                    turn.services, turn.person, broadcast_id, datetime.fromisoformat(value)
                )
                turn.say(
                    _("Done: announcement #{id} will be sent at {when}.").format(
                        id=item.id, when=i18n.fmt_datetime(item.scheduled_at)
                    )
                )
            else:
                item = await broadcast.change_text(turn.services, turn.person, broadcast_id, value)
                area = await turn.services.store.read.areas.get(item.area_id) if item.area_id else None
                turn.say(_("Done: the new text is saved. People will see:"))
                turn.add(broadcast.announcement(item.text, area.name if area else ""))
        except BroadcastError as problem:
            turn.say(str(problem))
            return DONE
        await show_one(turn, broadcast_id)
        return DONE


EDIT_FLOW = EditFlow()


async def list_command(turn: Turn, args: str) -> None:
    wanted = parse_id(args)
    if wanted is not None:
        await show_one(turn, wanted)
    else:
        await show_list(turn)


async def list_button(turn: Turn) -> None:
    turn.person.require_officer()
    _prefix, action, number = [*(turn.msg.payload or "").split(":"), "", ""][:3]
    broadcast_id = parse_int(number, 0, ID_MAX)
    if broadcast_id is None:
        turn.say(_("That button is no longer active."))
        return
    if action == "l":
        await show_list(turn)
    elif action == "o":
        await show_one(turn, broadcast_id)
    elif action in ("t", "x"):
        try:
            await broadcast.changeable(turn.services, turn.person, broadcast_id)
        except BroadcastError as problem:
            turn.say(str(problem))
            return
        await EDIT_FLOW.start(turn, {"id": broadcast_id}, step="at" if action == "t" else "text")
    elif action == "c":
        await ask_cancel(turn, broadcast_id)
    elif action == "cy":
        try:
            item = await broadcast.cancel(turn.services, turn.person, broadcast_id)
        except BroadcastError as problem:
            turn.say(str(problem))
            return
        turn.say(_("Announcement #{id} is cancelled: nobody will receive it.").format(id=item.id))
        await show_list(turn)
    else:
        turn.say(_("That button is no longer active."))


def _cancel_options(broadcast_id: int) -> list[Option]:
    yes, no = yes_no_options(_("Yes, cancel it"), _("No, keep it"))
    return [
        Option(f"cy:{broadcast_id}", yes.label, (*yes.aliases, "huy", "huy thong bao", "huy bo")),
        Option(f"o:{broadcast_id}", no.label, (*no.aliases, "giu", "giu lai", "de nguyen")),
    ]


async def ask_cancel(turn: Turn, broadcast_id: int) -> None:
    try:
        item = await broadcast.changeable(turn.services, turn.person, broadcast_id)
    except BroadcastError as problem:
        turn.say(str(problem))
        return
    turn.say(
        _("Cancel announcement #{id}, set for {when}? Nobody will receive it.").format(
            id=item.id, when=i18n.fmt_datetime(item.scheduled_at)
        ),
        option_buttons(LIST, _cancel_options(item.id)),
    )


async def resend_command(turn: Turn, args: str) -> None:
    """/guilai 12: send announcement 12 again to those not confirmed; alone, which ones have any."""
    wanted = parse_id(args)
    if wanted is not None:
        await resend(turn, wanted)
        return
    services = turn.services
    found = []
    for item in await broadcast.recent_for(services, turn.person, limit=20):
        counts = await services.store.read.outbox.batch_counts(item.batch)
        if counts.get("uncertain"):
            found.append((item, counts["uncertain"]))
    if not found:
        turn.say(
            _(
                "No announcement has messages left unconfirmed. When a restart interrupts sending, the "
                "final report says so, with a button to send them again (or /guilai and its number)."
            )
        )
        return
    lines = [_("Announcements with messages not confirmed:")]
    buttons = []
    for item, n in found:
        lines.append(
            _("#{id} — {when} — {n} not confirmed").format(
                id=item.id, when=_short_time(item), n=i18n.fmt_number(n)
            )
        )
        buttons.append(
            Button(
                _("Send #{id} again to {n}").format(id=item.id, n=i18n.fmt_number(n)), f"{RESEND}:{item.id}"
            )
        )
    turn.say("\n".join(lines), buttons)


async def resend_button(turn: Turn) -> None:
    turn.person.require_officer()
    number = parse_id((turn.msg.payload or "").split(":", 1)[-1])
    if number is None:
        turn.say(_("That button is no longer active."))
        return
    await resend(turn, number)


async def resend(turn: Turn, broadcast_id: int) -> None:
    try:
        queued = await broadcast.resend_unconfirmed(turn.services, turn.person, broadcast_id)
    except BroadcastError as problem:
        turn.say(str(problem))
        return
    if queued:
        turn.say(
            _("Sending announcement #{id} again to {n} people; a new report follows.").format(
                id=broadcast_id, n=i18n.fmt_number(queued)
            )
        )
    else:
        turn.say(_("Announcement #{id} has nobody left to send again to.").format(id=broadcast_id))
