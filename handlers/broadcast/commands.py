"""Officers' announcements (/thongbao) and people's choice to receive them (/tatthongbao)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from bot import i18n
from bot.choice import Option, buttons
from bot.context import Answer, Role, Turn
from bot.delivery.notify import to_attachment, to_stored
from bot.flow import DONE, Reask, StepFlow, choose, pick
from bot.i18n import N_, _
from bot.model import Button, Reply
from bot.text import esc
from handlers.broadcast import service as broadcast
from handlers.broadcast.service import Audience, BroadcastError
from handlers.broadcast.when import EXAMPLE, read_time

MAX_PHOTO = 5 * 1024 * 1024
AUDIENCE_WORDS = {
    "area": ("tat ca", "moi nguoi", "ca phuong", "everyone"),
    "part": ("mot thon", "thon", "mot to", "village"),
    "declared": ("da khai bao", "declared"),
    "not_declared": ("chua khai bao", "not declared"),
    "session": ("buoi tap huan", "lop", "nguoi dang ky", "session"),
    "all": ("toan bo", "tat ca nguoi dung", "all"),
}
NO_PICTURE = ("@no", "@skip", "khong kem anh", "khong co anh", "khong anh")


class BroadcastFlow(StepFlow):
    name = "broadcast"
    first_step = "audience"
    title = N_("writing an announcement")
    photo_steps = frozenset({"photo"})

    async def _home(self, turn: Turn) -> tuple[str | None, str]:
        """The area the author writes to by default, and its name."""
        person = turn.person
        if person.officer_area is not None:
            return person.officer_area.id, person.officer_area.name
        roots = await turn.services.store.read.areas.children(None)
        if len(roots) == 1:
            return roots[0].id, roots[0].name
        return None, _("all areas")

    def _year(self, turn: Turn) -> str:
        """The campaign year: the local calendar year."""
        return str(turn.services.clock.now().astimezone(turn.services.settings.timezone).year)

    async def _audiences(self, turn: Turn, counted: bool) -> list[Option]:
        """Who may receive it, as shown (with counts when ``counted``) and typed."""
        area_id, area_name = await self._home(turn)
        services, person = turn.services, turn.person
        year = self._year(turn)

        async def count(kind: str, area: str | None, param: str = "") -> str:
            if not counted:
                return "…"
            return i18n.fmt_number(
                await broadcast.count_recipients(services, Audience(kind, area, param), person)
            )

        labels: list[tuple[str, str]] = []
        if area_id is not None:
            labels += [
                (
                    "area",
                    _("Everyone in {area} ({n} people)").format(
                        area=area_name, n=await count("area", area_id)
                    ),
                ),
                ("part", _("One village or group in {area}").format(area=area_name)),
                (
                    "declared",
                    _("Families who declared for {year} ({n})").format(
                        year=year, n=await count("declared", area_id, year)
                    ),
                ),
                (
                    "not_declared",
                    _("Families who have not declared for {year} ({n})").format(
                        year=year, n=await count("not_declared", area_id, year)
                    ),
                ),
                ("session", _("People signed up for a training session")),
            ]
        if person.role >= Role.ADMIN:
            n = await count("everyone", None)
            labels.append(("all", _("Everyone who uses the bot ({n} people)").format(n=n)))
        return [Option(key, label, AUDIENCE_WORDS[key]) for key, label in labels]

    async def ask_audience(self, turn: Turn) -> None:
        options = await self._audiences(turn, counted=True)
        turn.say(_("Who should receive the announcement?"), buttons("audience", options))

    async def on_audience(self, turn: Turn, answer: Answer) -> str:
        area_id, _name = await self._home(turn)
        options = await self._audiences(turn, counted=False)
        chosen = choose(turn, "audience", options, _("Please choose one of the buttons, or type its number."))
        if chosen.key in ("part", "session"):
            return chosen.key
        if chosen.key == "all":
            turn.state.draft.update(kind="everyone", area=None, param="")
        elif chosen.key in ("declared", "not_declared"):
            turn.state.draft.update(kind=chosen.key, area=area_id, param=self._year(turn))
        else:
            turn.state.draft.update(kind="area", area=area_id, param="")
        return "text"

    async def ask_part(self, turn: Turn) -> None:
        area_id, _name = await self._home(turn)
        parts = await turn.services.store.read.areas.children(area_id)
        turn.say(_("Which village or group?"), buttons("part", [Option(a.id, a.name) for a in parts]))

    async def on_part(self, turn: Turn, answer: Answer) -> str:
        area_id, _name = await self._home(turn)
        parts = await turn.services.store.read.areas.children(area_id)
        chosen = choose(
            turn,
            "part",
            [Option(a.id, a.name) for a in parts],
            _("I could not find that in the list. Please choose one of the buttons or type its number."),
        )
        turn.state.draft.update(kind="area", area=chosen.key, param="")
        return "text"

    async def _sessions(self, turn: Turn) -> list[Option]:
        """Upcoming sessions the author may write to: in their area, or anywhere for admins."""
        store = turn.services.store.read
        area_id, _name = await self._home(turn)
        areas = await store.areas.subtree(area_id) if area_id else await store.areas.all()
        sessions = await store.sessions.upcoming(
            [a.path for a in areas], ("family", "officer", "all"), turn.services.clock.now(), limit=10
        )
        return [
            Option(str(s.id), f"{s.title} — {i18n.fmt_datetime(s.starts_at)}")
            for s in sessions
            if turn.person.role >= Role.ADMIN
            or turn.person.can_see(next(a for a in areas if a.id == s.area_id))
        ]

    async def ask_session(self, turn: Turn) -> None:
        options = await self._sessions(turn)
        if not options:
            turn.say(_("There are no upcoming training sessions in your area. Choose another audience."))
            turn.state.step = "audience"
            await self.ask_audience(turn)
            return
        turn.say(
            _("Which session? Everyone signed up for it (or waiting for a place) will receive it."),
            buttons("session", options),
        )

    async def on_session(self, turn: Turn, answer: Answer) -> str:
        chosen = choose(
            turn,
            "session",
            await self._sessions(turn),
            _("I could not find that in the list. Please choose one of the buttons or type its number."),
        )
        session = await turn.services.store.read.sessions.get(int(chosen.key))
        assert session is not None
        turn.state.draft.update(kind="session", area=session.area_id, param=chosen.key)
        return "text"

    async def ask_text(self, turn: Turn) -> None:
        turn.say(
            _("Type the announcement (up to {limit} characters). Write it as people should read it.").format(
                limit=i18n.fmt_number(broadcast.MAX_TEXT)
            )
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
        turn.state.draft["text"] = text
        return "photo"

    async def ask_photo(self, turn: Turn) -> None:
        turn.say(
            _("Add one picture? Send it now (on Telegram), or choose “No picture”."),
            [Button(_("No picture"), "photo:none", NO_PICTURE)],
        )

    async def on_photo(self, turn: Turn, answer: Answer) -> str:
        if answer.photo is not None:
            if not answer.photo.data or len(answer.photo.data) > MAX_PHOTO:
                raise Reask(_("That picture could not be used. Please send another, or choose “No picture”."))
            async with turn.services.store.write() as tx:
                turn.state.draft["photo"] = await tx.outbox.add_attachment(
                    to_stored(answer.photo), turn.services.clock.now()
                )
            return "when"
        if pick("photo", answer, [Option("none", _("No picture"), NO_PICTURE)]) is not None:
            turn.state.draft.pop("photo", None)
            return "when"
        raise Reask(_("Please send a picture, or choose “No picture”."))

    @staticmethod
    def _whens() -> list[Option]:
        return [Option("now", _("Send now"), ("@now",)), Option("later", _("Choose a time"), ("@later",))]

    async def ask_when(self, turn: Turn) -> None:
        turn.say(
            _("When should it be sent? You can also type a time, {example}.").format(example=_(EXAMPLE)),
            buttons("when", self._whens()),
        )

    async def on_when(self, turn: Turn, answer: Answer) -> str:
        chosen = pick("when", answer, self._whens())
        if chosen is not None and chosen.key == "now":
            turn.state.draft["at"] = None
            return "confirm"
        if chosen is not None:
            return "at"
        if answer.payload is None and answer.text:
            return await self.on_at(turn, answer)
        raise Reask(_("Please choose one of the buttons, or type its number."))

    async def ask_at(self, turn: Turn) -> None:
        turn.say(_("Type the date and time, {example}, or “14:00 mai”.").format(example=_(EXAMPLE)))

    async def on_at(self, turn: Turn, answer: Answer) -> str:
        turn.state.draft["at"] = read_time(turn.services, answer.text).isoformat()
        return "confirm"

    def _audience(self, turn: Turn) -> Audience:
        draft = turn.state.draft
        return Audience(draft["kind"], draft.get("area"), draft.get("param", ""))

    async def ask_confirm(self, turn: Turn) -> None:
        draft = turn.state.draft
        audience = self._audience(turn)
        count = await broadcast.count_recipients(turn.services, audience, turn.person)
        area = await turn.services.store.read.areas.get(audience.area_id) if audience.area_id else None
        preview = broadcast.announcement(draft["text"], area.name if area else _("all areas"))
        if draft.get("photo"):
            stored = await turn.services.store.read.outbox.attachment(int(draft["photo"]))
            if stored is not None:
                preview = dataclasses.replace(preview, photo=to_attachment(stored))

        when = _("now") if not draft.get("at") else i18n.fmt_datetime(datetime.fromisoformat(draft["at"]))
        turn.say(_("<b>Preview</b> — this is exactly what people will see:"))
        turn.add(preview)
        turn.say(
            _("It will go to <b>{n}</b> people, {when}. Send it?").format(
                n=i18n.fmt_number(count), when=esc(when)
            ),
            buttons("confirm", self._confirms()),
        )

    @staticmethod
    def _confirms() -> list[Option]:
        return [
            Option("send", _("Send"), ("@send", "@yes")),
            Option("edit", _("Change the text"), ("@edit",)),
            Option("cancel", _("Cancel"), ("@cancel", "@no")),
        ]

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        choice = choose(
            turn, "confirm", self._confirms(), _("Please choose one of the buttons, or type its number.")
        )
        if choice.key == "edit":
            return "text"
        if choice.key == "cancel":
            turn.say(_("The announcement was not sent."))
            return DONE
        draft = turn.state.draft

        when = datetime.fromisoformat(draft["at"]) if draft.get("at") else None
        try:
            created = await broadcast.create(
                turn.services,
                turn.person,
                self._audience(turn),
                draft["text"],
                when,
                photo_id=draft.get("photo"),
            )
        except BroadcastError as problem:
            turn.say(str(problem))
            return DONE
        if when is None:
            turn.say(
                _("Sending announcement #{id} to {n} people. I will report here when it is done.").format(
                    id=created.id, n=i18n.fmt_number(created.recipients or 0)
                )
            )
        else:
            turn.say(
                _(
                    "Announcement #{id} is scheduled for {when}. To change its time or text, or cancel "
                    "it: /dsthongbao."
                ).format(id=created.id, when=i18n.fmt_datetime(when))
            )
        return DONE


BROADCAST_FLOW = BroadcastFlow()


async def broadcast_command(turn: Turn, args: str) -> None:
    await BROADCAST_FLOW.start(turn)


async def mute_command(turn: Turn, args: str) -> None:
    await _set(turn, False)


async def unmute_command(turn: Turn, args: str) -> None:
    await _set(turn, True)


async def _set(turn: Turn, wanted: bool) -> None:
    user = turn.person.user
    assert user is not None
    async with turn.services.store.write() as tx:
        await tx.users.set_announcements(user.id, wanted, turn.services.clock.now())
    if wanted:
        turn.add(Reply(_("Announcements are on again.")))
    else:
        turn.add(
            Reply(
                _(
                    "You will no longer receive announcements. Reminders for sessions you signed up for "
                    "still come. To turn announcements back on, send /batthongbao."
                )
            )
        )
