"""/taolop: an officer creates a session step by step, checks a summary, confirms.

The same flow edits a session: it starts at the summary with the session's values, and the
officer picks the parts to change. Every answer is checked when typed (``Reask`` keeps the
draft), and the officer's right over the chosen area is checked again when saving.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot import i18n
from bot.choice import Option, buttons, match, translated
from bot.context import Answer, Turn
from bot.flow import DONE, Confirm, Reask, StepFlow, choose, pick
from bot.i18n import N_, _
from bot.text import esc, parse_int
from handlers.training import fields, service
from handlers.training import render as messages
from handlers.training.fields import FieldError
from storage.areas import Area
from storage.sessions import DEFAULT_OFFSETS

ORDER = ("title", "start", "duration", "place", "audience", "area", "capacity", "description", "reminders")
FIELD_LABELS = {
    "title": N_("Title"),
    "start": N_("Start"),
    "duration": N_("Duration"),
    "place": N_("Place"),
    "audience": N_("For"),
    "area": N_("Area"),
    "capacity": N_("Places"),
    "description": N_("Description"),
    "reminders": N_("Reminders"),
}
DURATIONS = (
    Option("60", N_("1 hour"), ("1 tieng", "mot tieng", "mot gio")),
    Option("120", N_("2 hours"), ("2 tieng", "hai tieng", "hai gio")),
    Option("180", N_("3 hours"), ("3 tieng", "ba tieng", "ba gio")),
    Option("240", N_("Half a day (4 hours)"), ("nua ngay", "nua buoi", "buoi sang", "buoi chieu", "4 tieng")),
)
SKIP = Option("skip", N_("Skip"), ("@skip", "@no", "khong mo ta"))
NO_REMINDERS = ("@no", "khong nhac", "khong can nhac", "khong can")
# The words people use for each part when asked what to change ("sửa giờ", "đổi số chỗ").
FIELD_WORDS = {
    "title": ("ten", "ten buoi", "tieu de", "title"),
    "start": ("gio", "ngay", "ngay gio", "thoi gian", "luc nao", "time", "date"),
    "duration": ("bao lau", "thoi luong", "keo dai", "may tieng", "length"),
    "place": ("dia diem", "o dau", "noi to chuc", "hoi truong", "where"),
    "audience": ("doi tuong", "danh cho", "ai tham gia", "for whom"),
    "area": ("dia ban", "khu vuc", "thon", "to", "phuong", "area"),
    "capacity": ("so cho", "so luong", "bao nhieu cho", "cho ngoi", "places"),
    "description": ("mo ta", "noi dung", "ghi chu", "description"),
    "reminders": ("nhac", "nhac lich", "nhac nho", "loi nhac", "reminders"),
}
AREA_PAGE = 8
SUMMARY_ACTIONS = (
    Option("yes", N_("Create the session"), ("@save", "@send")),
    Option("edit", N_("Change something"), ("@edit",)),
    Option("no", N_("Discard"), ("@cancel",)),
)
CANCEL_CONFIRM = Confirm(
    N_("Yes, cancel the session"),
    N_("No, keep it"),
    # "huỷ" answers "cancel this session?": it cancels the session, not the question.
    yes_words=("@yes", "huỷ", "huỷ đi", "huy buoi", "huy lop"),
    no_words=("@no", "giu", "giu lai", "van to chuc", "khong huy"),
)


async def scope_areas(turn: Turn) -> list[Area]:
    """Areas where this person may hold sessions: an officer's area and below; admins everywhere."""
    areas = turn.services.store.read.areas
    scope = turn.person.scope()
    return await areas.all() if scope.area is None else await areas.subtree(scope.area.id)


def _hint(problem: FieldError) -> Reask:
    return Reask(problem.text())


class SessionFlow(StepFlow):
    name = "taolop"
    first_step = "title"
    title = N_("creating a training session")

    # -- navigation ------------------------------------------------------------------------
    async def _next(self, turn: Turn, step: str) -> str:
        draft = turn.state.draft
        if draft.get("review"):
            return "confirm"
        index = ORDER.index(step) + 1
        while index < len(ORDER):
            following = ORDER[index]
            if following == "area":
                options = await scope_areas(turn)
                if len(options) == 1:  # an officer of a single village: nothing to ask
                    draft["area"] = options[0].id
                    index += 1
                    continue
            return following
        return "confirm"

    # -- steps -----------------------------------------------------------------------------
    async def ask_title(self, turn: Turn) -> None:
        turn.say(
            _("What is the title of the session? For example: Hội nghị tập huấn tiêu chí “Gia đình học tập”.")
        )

    async def on_title(self, turn: Turn, answer: Answer) -> str:
        try:
            turn.state.draft["title"] = fields.check_title(answer.text)
        except FieldError as problem:
            raise _hint(problem) from None
        return await self._next(turn, "title")

    async def ask_start(self, turn: Turn) -> None:
        turn.say(_("When does it start? Type the date and time, for example 28/11 8h30 or 8h30 28/11."))

    async def on_start(self, turn: Turn, answer: Answer) -> str:
        services = turn.services
        try:
            moment = fields.check_start(answer.text, services.clock.now(), services.settings.timezone)
        except FieldError as problem:
            raise _hint(problem) from None
        turn.state.draft["start"] = moment.isoformat()
        return await self._next(turn, "start")

    async def ask_duration(self, turn: Turn) -> None:
        turn.say(
            _("How long does it last? Tap one, or type it, e.g. 90 phút or 2h30."),
            buttons("duration", translated(DURATIONS)),
            columns=2,
        )

    async def on_duration(self, turn: Turn, answer: Answer) -> str:
        chosen = pick("duration", answer, translated(DURATIONS))
        value: str | int = answer.text
        if chosen is not None:  # our own option keys, checked again: a payload can be forged
            value = parse_int(chosen.key, 1, 100_000) or ""
        try:
            turn.state.draft["duration"] = fields.check_duration(value)
        except FieldError as problem:
            raise _hint(problem) from None
        return await self._next(turn, "duration")

    async def ask_place(self, turn: Turn) -> None:
        turn.say(_("Where is it held? For example: Hội trường UBND phường Liên Bảo."))

    async def on_place(self, turn: Turn, answer: Answer) -> str:
        try:
            turn.state.draft["place"] = fields.check_place(answer.text)
        except FieldError as problem:
            raise _hint(problem) from None
        return await self._next(turn, "place")

    def _audiences(self) -> list[Option]:
        aliases = {
            "family": ("gia dinh", "nguoi dan"),
            "officer": ("can bo", "cb"),
            "all": ("tat ca", "ca hai"),
        }
        return [
            Option(key, messages.audience_label(key), aliases[key]) for key in ("family", "officer", "all")
        ]

    async def ask_audience(self, turn: Turn) -> None:
        turn.say(_("Who is it for?"), buttons("audience", self._audiences()))

    async def on_audience(self, turn: Turn, answer: Answer) -> str:
        chosen = pick("audience", answer, self._audiences())
        if chosen is None:
            try:
                turn.state.draft["audience"] = fields.check_audience(answer.text)
            except FieldError as problem:
                raise _hint(problem) from None
        else:
            turn.state.draft["audience"] = chosen.key
        return await self._next(turn, "audience")

    async def ask_area(self, turn: Turn) -> None:
        areas = await scope_areas(turn)
        page = int(turn.state.draft.get("area_page", 0))
        pages = max(1, -(-len(areas) // AREA_PAGE))
        page = min(page, pages - 1)
        shown = areas[page * AREA_PAGE : (page + 1) * AREA_PAGE]
        shown_options = [Option(a.id, a.name) for a in shown]
        if page + 1 < pages:
            shown_options.append(Option("+more", _("More…"), ("@more",)))
        question = _("Which area is it for? People of that area and below will see it.")
        if pages > 1:
            question += "\n" + _("(page {page} of {pages})").format(page=page + 1, pages=pages)
        turn.say(question, buttons("area", shown_options))

    async def on_area(self, turn: Turn, answer: Answer) -> str:
        draft = turn.state.draft
        areas = await scope_areas(turn)
        # Any area of the officer's scope can be named, not only those of the page on screen.
        options = [Option(a.id, a.name) for a in areas] + [Option("+more", _("More…"), ("@more",))]
        chosen = choose(
            turn,
            "area",
            options,
            _("I could not find that area in the list. Please tap a button or type its name."),
        )
        if chosen.key == "+more":
            draft["area_page"] = int(draft.get("area_page", 0)) + 1
            return "area"
        draft["area"] = chosen.key
        draft.pop("area_page", None)
        return await self._next(turn, "area")

    async def ask_capacity(self, turn: Turn) -> None:
        turn.say(_("How many places are there? Type a number, e.g. 60."))

    async def on_capacity(self, turn: Turn, answer: Answer) -> str:
        try:
            turn.state.draft["capacity"] = fields.check_capacity(answer.text)
        except FieldError as problem:
            raise _hint(problem) from None
        return await self._next(turn, "capacity")

    async def ask_description(self, turn: Turn) -> None:
        turn.say(
            _("A short description (what it covers, what to bring)? Type it, or tap Skip."),
            buttons("description", translated([SKIP])),
        )

    async def on_description(self, turn: Turn, answer: Answer) -> str:
        # Typed, only the whole words of "skip": anything else is the description.
        skip = translated([SKIP])
        if answer.payload == "description:skip" or match(answer.text, skip, exact=True).chosen is not None:
            turn.state.draft["description"] = ""
        else:
            try:
                turn.state.draft["description"] = fields.check_description(answer.text)
            except FieldError as problem:
                raise _hint(problem) from None
        return await self._next(turn, "description")

    @staticmethod
    def _reminder_choices() -> list[Option]:
        return [
            Option(
                "default",
                _("Usual: {offsets}").format(offsets=messages.fmt_offsets(DEFAULT_OFFSETS)),
                ("@usual", "thuong"),
            ),
            Option("none", _("No reminders"), NO_REMINDERS),
        ]

    async def ask_reminders(self, turn: Turn) -> None:
        turn.say(
            _(
                "When should I remind the people who signed up? Tap the usual choice, or type times "
                "such as “3 ngày, 1 ngày, 2 giờ”. No reminder is sent between 21:00 and 07:00: "
                "such a reminder comes the evening before."
            ),
            buttons("reminders", self._reminder_choices()),
        )

    async def on_reminders(self, turn: Turn, answer: Answer) -> str:
        draft = turn.state.draft
        try:
            # Typed times come first: "2 giờ" is those times, not the usual choice that shows them.
            offsets = fields.check_offsets(answer.text) if answer.payload is None else None
        except FieldError as problem:
            offsets, hint = None, _hint(problem)
        else:
            hint = Reask(_("Please tap a button, or type the times."))
        if offsets is None:
            chosen = pick("reminders", answer, self._reminder_choices())
            if chosen is None:
                raise hint
            offsets = DEFAULT_OFFSETS if chosen.key == "default" else ()
        draft["offsets"] = list(offsets)
        return await self._next(turn, "reminders")

    # -- summary ---------------------------------------------------------------------------
    async def _summary(self, turn: Turn) -> str:
        draft = turn.state.draft
        area = await turn.services.store.read.areas.get(draft.get("area", ""))
        start = datetime.fromisoformat(draft["start"])
        description = draft.get("description") or _("(none)")
        editing = "session_id" in draft
        lines = [
            _("<b>Please check the session:</b>") if not editing else _("<b>Please check the changes:</b>")
        ]
        rows = [
            ("title", esc(draft["title"])),
            ("start", i18n.fmt_datetime(start)),
            ("duration", messages.fmt_duration(int(draft["duration"]))),
            ("place", esc(draft["place"])),
            ("audience", messages.audience_label(draft["audience"])),
            ("area", esc(area.name) if area else "?"),
            ("capacity", i18n.fmt_number(int(draft["capacity"]))),
            ("description", esc(description)),
            ("reminders", messages.fmt_offsets(tuple(draft.get("offsets", [])))),
        ]
        lines += [f"• {_(FIELD_LABELS[name])}: {value}" for name, value in rows]
        return "\n".join(lines)

    def _actions(self, turn: Turn) -> list[Option]:
        actions = translated(SUMMARY_ACTIONS)
        if "session_id" in turn.state.draft:
            actions[0] = Option("yes", _("Save the changes"), actions[0].aliases)
        return actions

    async def ask_confirm(self, turn: Turn) -> None:
        turn.say(await self._summary(turn), buttons("confirm", self._actions(turn)))

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        chosen = choose(
            turn,
            "confirm",
            self._actions(turn),
            _("Please tap a button: create, change something, or discard."),
        )
        if chosen.key == "edit":
            return "field"
        if chosen.key == "no":
            turn.say(_("Discarded: nothing was saved."))
            return DONE
        await self._save(turn)
        return DONE

    @staticmethod
    def _fields() -> list[Option]:
        return [Option(name, _(FIELD_LABELS[name]), FIELD_WORDS[name]) for name in ORDER]

    async def ask_field(self, turn: Turn) -> None:
        turn.say(_("What do you want to change?"), buttons("field", self._fields()), columns=2)

    async def on_field(self, turn: Turn, answer: Answer) -> str:
        chosen = choose(
            turn, "field", self._fields(), _("Please tap one of the buttons, or type its number.")
        )
        turn.state.draft["review"] = True
        return chosen.key

    # -- saving ----------------------------------------------------------------------------
    def _input(self, draft: dict[str, Any]) -> service.SessionInput:
        return service.SessionInput(
            title=draft["title"],
            starts_at=datetime.fromisoformat(draft["start"]).astimezone(UTC),
            duration_min=int(draft["duration"]),
            place=draft["place"],
            audience=draft["audience"],
            area_id=draft["area"],
            capacity=int(draft["capacity"]),
            description=draft.get("description", ""),
            reminder_offsets=tuple(int(o) for o in draft.get("offsets", [])),
        )

    async def _save(self, turn: Turn) -> None:
        draft = turn.state.draft
        services = turn.services
        area = await services.store.read.areas.get(draft["area"])
        if area is None or not turn.person.can_see(area):
            turn.say(_("Sorry, you can only manage sessions in your own area."))
            return
        data = self._input(draft)
        if "session_id" not in draft:
            session = await service.create_session(services, data, turn.person.key)
            turn.say(
                _(
                    "Created. Families and officers of {area} can now see it with /lichhoc (number {id})."
                ).format(area=esc(area.name), id=session.id)
            )
            return
        await _save_edit(turn, int(draft["session_id"]), data)


async def _save_edit(turn: Turn, session_id: int, data: service.SessionInput) -> None:
    services = turn.services
    old = await services.store.read.sessions.get(session_id)
    old_area = await services.store.read.areas.get(old.area_id) if old else None
    if old is None or old_area is None or not turn.person.can_see(old_area):
        turn.say(_("Sorry, you can only manage sessions in your own area."))
        return
    changes = service.changes_between(old, data)
    if all(getattr(changes, name) is None for name in changes.__dataclass_fields__):
        turn.say(_("Nothing was changed."))
        return
    try:
        result = await service.update_session(services, session_id, changes, turn.person.key)
    except service.TrainingError as problem:
        turn.say(training_problem(problem.code))
        return
    text = _("Saved.")
    if result.notified:
        text += " " + _("{count} people who signed up will be told about the change.").format(
            count=result.notified
        )
    if result.promoted:
        text += " " + _("{count} people moved up from the waiting list.").format(count=result.promoted)
    turn.say(text)


def training_problem(code: str) -> str:
    """A message for a ``TrainingError`` code, in the current language."""
    problems = {
        "unknown": _("I could not find that session."),
        "closed": _("That session has been cancelled or is no longer open."),
        "begun": _("That session has already begun."),
        "not_signed_up": _("You are not signed up for that session."),
        "capacity_below_confirmed": _(
            "More people are already confirmed than that. Please give a larger number of places."
        ),
    }
    return problems.get(code, _("Sorry, that is not possible."))


def edit_draft(session_id: int, values: dict[str, Any]) -> dict[str, Any]:
    return {"session_id": session_id, "review": True, **values}


SESSION_FLOW = SessionFlow()


class CancelSessionFlow(StepFlow):
    """Confirm before cancelling a session: everyone signed up will be told."""

    name = "huylop"
    first_step = "confirm"
    title = N_("cancelling a training session")

    async def ask_confirm(self, turn: Turn) -> None:
        session = await turn.services.store.read.sessions.get(int(turn.state.draft["session_id"]))
        if session is None:
            turn.say(_("I could not find that session."))
            turn.state.clear_flow()
            return
        confirmed, waiting = (await turn.services.store.read.sessions.signups.counts([session.id]))[
            session.id
        ]
        lines = [_("Cancel this session?")]
        lines += messages.session_lines(session, description=False)
        lines.append(
            _("{count} people signed up (including the waiting list) will be told.").format(
                count=confirmed + waiting
            )
        )
        CANCEL_CONFIRM.ask(turn, "\n".join(lines))

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        if not CANCEL_CONFIRM.answer(turn):
            turn.say(_("The session was not cancelled."))
            return DONE
        session_id = int(turn.state.draft["session_id"])
        session = await turn.services.store.read.sessions.get(session_id)
        area = await turn.services.store.read.areas.get(session.area_id) if session else None
        if area is None or not turn.person.can_see(area):
            turn.say(_("Sorry, you can only manage sessions in your own area."))
            return DONE
        try:
            result = await service.cancel_session(turn.services, session_id, turn.person.key)
        except service.TrainingError as problem:
            turn.say(training_problem(problem.code))
            return DONE
        turn.say(_("The session is cancelled. {count} people will be told.").format(count=result.notified))
        return DONE


CANCEL_SESSION_FLOW = CancelSessionFlow()
