"""The form of the yearly declaration: a step flow, saved after every answer, ending in a summary.

Steps: head → area (→ area_pick) → for each member: rel → born → learn → [lit] → [act] → more
→ cond → comm → note → summary (→ members → member, phone, or any step above, then back).
A member is asked about literacy or learning activities only when a criterion needs it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.area_picker import AreaPicker
from bot.choice import Option, buttons, match, translated
from bot.context import Answer, Turn
from bot.feature import Lazy
from bot.flow import DONE, Checklist, Confirm, Reask, StepFlow, choose
from bot.i18n import N_, _
from bot.model import Button
from bot.text import esc, parse_int
from handlers.declaration import service
from handlers.declaration import validate as check
from handlers.declaration.criteria import Criteria
from handlers.declaration.model import (
    ACTIVITIES,
    COMMUNITY,
    CONDITIONS,
    HEAD,
    LEARNING,
    MAX_MEMBERS,
    RELATIONS,
    label_of,
)
from handlers.declaration.render import assessment_lines, member_label, member_short, summary_lines

AREA_PICKER = AreaPicker(
    "area_pick",
    "ap",
    "pg",
    N_("Which ward or commune is your household in?"),
    N_("{ward}: which village or residential group is your household in?"),
)
SUMMARY = "summary"
MEMBER_STEPS = ("rel", "born", "learn", "lit", "act")
HEAD_MIN_AGE = 15

MORE = (
    Option("add", N_("Add another member"), ("@yes", "them", "con", "co them", "con nguoi", "add")),
    Option("done", N_("That is everyone"), ("@no", "@done", "khong con", "khong con ai", "het nguoi")),
)
YES_NO = (
    Option("yes", N_("Yes"), ("@yes", "biet", "co biet", "biet chu", "biet doc", "doc duoc", "viet duoc")),
    Option("no", N_("No"), ("@no", "khong biet", "chua biet", "khong biet chu", "mu chu", "chua biet chu")),
)
AREA_CONFIRM = Confirm(N_("Yes, that is right"), N_("No, choose another"), step="area")
SUMMARY_ACTIONS = (
    Option("send", N_("Send the declaration"), ("@send", "xong", "dong y", "ok")),
    Option("head", N_("Change the head's name"), ("sua ten", "ten", "ten chu ho", "chu ho")),
    Option("area", N_("Change the area"), ("sua dia ban", "dia ban", "khu vuc", "thon", "to dan pho")),
    Option("members", N_("Change the members"), ("sua thanh vien", "thanh vien", "nguoi")),
    Option("cond", N_("Change the learning conditions"), ("sua dieu kien", "dieu kien")),
    Option("comm", N_("Change community learning events"), ("sua sinh hoat", "sinh hoat", "cong dong")),
    Option("note", N_("Change the note"), ("sua ghi chu", "ghi chu")),
    Option("phone", N_("Add or change a contact phone (optional)"), ("so dien thoai", "dien thoai", "sdt")),
)
MEMBER_ACTIONS = (
    Option("edit", N_("Change this member's answers"), ("@edit",)),
    Option("del", N_("Remove this member"), ("@remove",)),
    Option("back", N_("Back"), ("@back",)),
)
ACTIVITY_LIST = Checklist("act", ACTIVITIES)
CONDITION_LIST = Checklist("cond", CONDITIONS)
SKIP = ("@skip",)


def _buttons(step: str, choices: tuple[Option, ...] | list[Option]) -> list[Button]:
    return buttons(step, translated(choices))


def where_text(chain: list[Any]) -> str:
    """An area and its parents, escaped: “Tổ dân phố 1, Phường Liên Bảo, …”."""
    return ", ".join(esc(a.name) for a in reversed(chain))


def _pick_or_reask(turn: Turn, step: str, choices: tuple[Option, ...]) -> Option:
    """The option chosen among a table of options (labels as message ids)."""
    shown = translated(choices)
    chosen = choose(
        turn, step, shown, _("Sorry, I did not catch that. Please tap one of the buttons or type its number.")
    )
    return choices[shown.index(chosen)]


def _skipped(turn: Turn, answer: Answer, step: str) -> bool:
    """The step's "skip" button, or typed words for it ("bỏ qua", "không có", "không")."""
    if answer.payload is not None:
        return answer.payload in (f"{step}:skip", f"{step}:none")
    options = [Option("skip", _("Skip"), (*SKIP, "@no"))]
    return match(answer.text, options, exact=True).chosen is not None


class DeclarationFlow(StepFlow):
    name = "declare"
    first_step = "head"
    title = N_("your household's declaration")

    def __init__(self, criteria: Lazy[Criteria]) -> None:
        self._criteria = criteria

    @property
    def criteria(self) -> Criteria:
        return self._criteria.get()

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _back_or(turn: Turn, step: str) -> str:
        """After a part changed from the summary, go back to it; otherwise on to ``step``."""
        return SUMMARY if turn.state.draft.get("ret") else step

    @staticmethod
    def _year(turn: Turn) -> int:
        return int(turn.state.draft.get("yr") or service.current_year(turn.services))

    @staticmethod
    def _current(turn: Turn) -> dict[str, Any]:
        return turn.state.draft.setdefault("cur", {})

    def _member_number(self, turn: Turn) -> int:
        draft = turn.state.draft
        index = draft.get("mi")
        return int(index) + 1 if index is not None else len(draft.get("m", [])) + 1

    def _member_title(self, turn: Turn) -> str:
        cur = self._current(turn)
        return esc(member_short(cur, self._member_number(turn)))

    def _start_member(self, turn: Turn, index: int | None) -> str:
        draft = turn.state.draft
        members = draft.setdefault("m", [])
        if index is None:
            draft["cur"] = {"r": HEAD} if not members else {}
            draft.pop("mi", None)
        else:
            draft["cur"] = dict(members[index])
            draft["mi"] = index
        return "born" if draft["cur"].get("r") == HEAD else "rel"

    def _member_next(self, turn: Turn, after: str) -> str:
        """The next member step; a question no criterion needs for this member is skipped."""
        cur = self._current(turn)
        year = self._year(turn)
        order = list(MEMBER_STEPS)
        for step in order[order.index(after) + 1 :]:
            if step == "lit":
                if self.criteria.needs("literate", cur, year):
                    return "lit"
                cur.pop("lit", None)
            elif step == "act":
                if self.criteria.needs("activities", cur, year):
                    return "act"
                cur.pop("a", None)
            else:
                return step
        return self._finish_member(turn)

    def _finish_member(self, turn: Turn) -> str:
        draft = turn.state.draft
        cur = draft.pop("cur", {})
        index = draft.pop("mi", None)
        members = draft.setdefault("m", [])
        if index is None:
            members.append(cur)
            number = len(members)
        else:
            members[int(index)] = cur
            number = int(index) + 1
        turn.say(_("Noted: {member}.").format(member=esc(member_short(cur, number))))
        return self._back_or(turn, "more")

    # -- household head and area -----------------------------------------------------------
    async def ask_head(self, turn: Turn) -> None:
        current = turn.state.draft.get("h")
        question = _("What is the full name of the head of your household?")
        if current:
            question += "\n" + _("(Now: {name}.)").format(name=esc(current))
        turn.say(question)

    async def on_head(self, turn: Turn, answer: Answer) -> str:
        if answer.payload is not None:
            raise Reask(_("Please type the name."))
        turn.state.draft["h"] = check.clean_name(answer.text)
        if turn.state.draft.get("ret"):
            return SUMMARY
        return "area" if turn.state.draft.get("a") else "area_pick"

    async def ask_area(self, turn: Turn) -> None:
        chain = await turn.services.store.read.areas.ancestors(turn.state.draft["a"])
        AREA_CONFIRM.ask(
            turn, _("Your household is in: <b>{where}</b>. Is that right?").format(where=where_text(chain))
        )

    async def on_area(self, turn: Turn, answer: Answer) -> str:
        if not AREA_CONFIRM.answer(turn):
            AREA_PICKER.reset(turn.state.draft)
            return "area_pick"
        return self._after_area(turn)

    def _after_area(self, turn: Turn) -> str:
        draft = turn.state.draft
        AREA_PICKER.reset(draft)
        if draft.get("ret") or draft.get("m"):
            return SUMMARY
        return self._start_member(turn, None)

    async def ask_area_pick(self, turn: Turn) -> None:
        await AREA_PICKER.ask(turn)

    async def on_area_pick(self, turn: Turn, answer: Answer) -> str:
        chosen = await AREA_PICKER.choose(turn, answer)
        if chosen is None:
            return "area_pick"
        turn.state.draft["a"] = chosen
        return self._after_area(turn)

    # -- members ---------------------------------------------------------------------------
    async def ask_rel(self, turn: Turn) -> None:
        head = esc(turn.state.draft.get("h", ""))
        turn.say(
            _("Member {number}: how is this person related to the head of household, {head}?").format(
                number=self._member_number(turn), head=head
            ),
            _buttons("rel", RELATIONS),
            columns=2,
        )

    async def on_rel(self, turn: Turn, answer: Answer) -> str:
        self._current(turn)["r"] = _pick_or_reask(turn, "rel", RELATIONS).key
        return "born"

    async def ask_born(self, turn: Turn) -> None:
        cur = self._current(turn)
        if cur.get("r") == HEAD:
            question = _("In which year was the head of household, {name}, born?").format(
                name=esc(turn.state.draft.get("h", ""))
            )
        else:
            question = _("{member}: in which year was this person born?").format(
                member=esc(f"{self._member_number(turn)}. {_(label_of(RELATIONS, cur.get('r')))}")
            )
        if cur.get("y"):
            question += "\n" + _("(Now: {year}.)").format(year=cur["y"])
        turn.say(question + "\n" + _("Please type four digits, for example 1985."))

    async def on_born(self, turn: Turn, answer: Answer) -> str:
        cur = self._current(turn)
        if answer.payload is not None:
            raise Reask(_("Please type the year of birth with four digits, for example 1985."))
        min_age = HEAD_MIN_AGE if cur.get("r") == HEAD else 0
        cur["y"] = check.birth_year(answer.text, self._year(turn), min_age=min_age)
        return "learn"

    async def ask_learn(self, turn: Turn) -> None:
        turn.say(
            _("{member}: what is this person studying now?").format(member=self._member_title(turn)),
            _buttons("learn", LEARNING),
            columns=2,
        )

    async def on_learn(self, turn: Turn, answer: Answer) -> str:
        self._current(turn)["l"] = _pick_or_reask(turn, "learn", LEARNING).key
        return self._member_next(turn, "learn")

    async def ask_lit(self, turn: Turn) -> None:
        turn.say(
            _("{member}: can this person read and write (at least as well as a grade 3 pupil)?").format(
                member=self._member_title(turn)
            ),
            _buttons("lit", YES_NO),
            columns=2,
        )

    async def on_lit(self, turn: Turn, answer: Answer) -> str:
        self._current(turn)["lit"] = _pick_or_reask(turn, "lit", YES_NO).key == "yes"
        return self._member_next(turn, "lit")

    async def ask_act(self, turn: Turn) -> None:
        chosen = self._current(turn).setdefault("a", [])
        question = _(
            "{member}: which learning activities did this person take part in over the last 12 months?"
        )
        ACTIVITY_LIST.ask(turn, question.format(member=self._member_title(turn)), chosen)

    async def on_act(self, turn: Turn, answer: Answer) -> str:
        chosen = self._current(turn).setdefault("a", [])
        if not ACTIVITY_LIST.answer(turn, chosen):
            return "act"
        return self._member_next(turn, "act")

    async def ask_more(self, turn: Turn) -> None:
        count = len(turn.state.draft.get("m", []))
        turn.say(
            _("So far {count} member(s). Does anyone else live in your household?").format(count=count),
            _buttons("more", MORE),
        )

    async def on_more(self, turn: Turn, answer: Answer) -> str:
        chosen = _pick_or_reask(turn, "more", MORE)
        if chosen.key == "add":
            if len(turn.state.draft.get("m", [])) >= MAX_MEMBERS:
                turn.say(_("A household can have at most {limit} members here.").format(limit=MAX_MEMBERS))
                return "cond"
            return self._start_member(turn, None)
        return "cond"

    # -- household -------------------------------------------------------------------------
    async def ask_cond(self, turn: Turn) -> None:
        chosen = turn.state.draft.setdefault("c", [])
        CONDITION_LIST.ask(turn, _("Which of these does your household have for learning?"), chosen)

    async def on_cond(self, turn: Turn, answer: Answer) -> str:
        chosen = turn.state.draft.setdefault("c", [])
        if not CONDITION_LIST.answer(turn, chosen):
            return "cond"
        return self._back_or(turn, "comm")

    async def ask_comm(self, turn: Turn) -> None:
        turn.say(
            _(
                "This year, did members of your household take part in community learning events "
                "(talks, clubs, classes at the community learning centre, book days…)?"
            ),
            _buttons("comm", COMMUNITY),
        )

    async def on_comm(self, turn: Turn, answer: Answer) -> str:
        turn.state.draft["e"] = _pick_or_reask(turn, "comm", COMMUNITY).key
        return self._back_or(turn, "note")

    async def ask_note(self, turn: Turn) -> None:
        shown = [Button(_("Skip"), "note:skip", SKIP)]
        if turn.state.draft.get("n"):
            shown = [
                Button(_("Keep the note"), "note:keep", ("giu", "giu nguyen", "@yes")),
                Button(_("Remove the note"), "note:skip", ("xoa", "bo ghi chu", *SKIP)),
            ]
        turn.say(
            _(
                "Would you like to add a note for the officer, e.g. a learning achievement of your family? "
                "It is optional: type it, or tap “Skip”."
            ),
            shown,
        )

    async def on_note(self, turn: Turn, answer: Answer) -> str:
        draft = turn.state.draft
        if answer.payload == "note:keep":
            return SUMMARY
        if _skipped(turn, answer, "note"):
            draft.pop("n", None)
            return SUMMARY
        if answer.payload is not None:
            raise Reask(_("Please type the note, or tap “Skip”."))
        note = check.note_text(answer.text)
        if note:
            draft["n"] = note
        return SUMMARY

    async def ask_phone(self, turn: Turn) -> None:
        turn.say(
            _(
                "If you wish, type a phone number the officer may call you on. This is optional; only "
                "the study promotion officers of your area will see it."
            ),
            [Button(_("No phone number"), "phone:none", ("khong co so", "khong co", *SKIP))],
        )

    async def on_phone(self, turn: Turn, answer: Answer) -> str:
        draft = turn.state.draft
        if _skipped(turn, answer, "phone"):
            draft.pop("p", None)
            return SUMMARY
        if answer.payload is not None:
            raise Reask(_("Please type the phone number, or tap “No phone number”."))
        draft["p"] = check.phone_number(answer.text)
        return SUMMARY

    # -- summary and changes ---------------------------------------------------------------
    async def ask_summary(self, turn: Turn) -> None:
        draft = turn.state.draft
        draft["ret"] = 1  # from now on every change comes back here
        chain = await turn.services.store.read.areas.ancestors(draft.get("a", ""))
        lines = [
            _("<b>Please check your declaration — “Gia đình học tập” {year}</b>").format(
                year=self._year(turn)
            ),
            *summary_lines(draft, where_text(chain), self._year(turn)),
            "",
            _("Is everything right? Tap “Send the declaration”, or choose the part to change."),
        ]
        turn.say("\n".join(lines), _buttons("summary", SUMMARY_ACTIONS))

    async def on_summary(self, turn: Turn, answer: Answer) -> str:
        draft = turn.state.draft
        if answer.payload is None:
            text = answer.folded.strip(" .!")
            number = parse_int(text[4:], 1, 99) if text.startswith("sua ") else None
            if number is not None and turn.menu.belongs_to("summary"):  # "sửa 3": the third button
                entries = turn.menu.entries
                if number <= len(entries):
                    turn.msg = dataclasses.replace(turn.msg, payload=entries[number - 1].payload)
            elif match(text, [Option("edit", "", ("@edit",))], exact=True).chosen is not None:
                raise Reask(_("Which part? Type its number from the list below, e.g. 2."))
        chosen = _pick_or_reask(turn, "summary", SUMMARY_ACTIONS)
        if chosen.key == "head":
            return "head"
        if chosen.key == "area":
            draft.pop("ap", None)
            return "area_pick"
        if chosen.key in ("members", "cond", "comm", "note", "phone"):
            return chosen.key
        missing = self._first_missing(draft)
        if missing is not None:
            turn.say(_("One part is not filled in yet."))
            return missing
        await self._submit(turn)
        return DONE

    @staticmethod
    def _first_missing(draft: dict[str, Any]) -> str | None:
        if not draft.get("h"):
            return "head"
        if not draft.get("a"):
            return "area_pick"
        if not draft.get("m"):
            return "members"
        if draft.get("c") is None:
            return "cond"
        if not draft.get("e"):
            return "comm"
        return None

    @staticmethod
    def _member_options(turn: Turn) -> list[Option]:
        members = turn.state.draft.get("m", [])
        options = [Option(str(n - 1), member_label(m)) for n, m in enumerate(members, 1)]
        if len(members) < MAX_MEMBERS:
            options.append(Option("+add", _("Add a member"), ("them", "them nguoi", "add")))
        options.append(Option("+back", _("Back to the summary"), ("@back",)))
        return options

    async def ask_members(self, turn: Turn) -> None:
        turn.say(_("Which member would you like to change?"), buttons("members", self._member_options(turn)))

    async def on_members(self, turn: Turn, answer: Answer) -> str:
        chosen = choose(
            turn, "members", self._member_options(turn), _("Please tap a member, or type their number.")
        )
        if chosen.key == "+add":
            return self._start_member(turn, None)
        if chosen.key == "+back":
            return SUMMARY
        turn.state.draft["mi"] = int(chosen.key)
        return "member"

    async def ask_member(self, turn: Turn) -> None:
        draft = turn.state.draft
        index = int(draft.get("mi", 0))
        member = draft["m"][index]
        actions = [a for a in MEMBER_ACTIONS if not (a.key == "del" and member.get("r") == HEAD)]
        turn.say(
            _("What would you like to do with member {member}?").format(
                member=esc(member_short(member, index + 1))
            ),
            _buttons("member", actions),
        )

    async def on_member(self, turn: Turn, answer: Answer) -> str:
        draft = turn.state.draft
        index = int(draft.get("mi", 0))
        member = draft["m"][index]
        chosen = _pick_or_reask(turn, "member", MEMBER_ACTIONS)
        if chosen.key == "del" and member.get("r") == HEAD:
            raise Reask(_("The head of household cannot be removed; you can change their answers."))
        if chosen.key == "del":
            removed = draft["m"].pop(index)
            draft.pop("mi", None)
            turn.say(_("Removed: {member}.").format(member=esc(member_short(removed, index + 1))))
            return "members"
        if chosen.key == "edit":
            return self._start_member(turn, index)
        draft.pop("mi", None)
        return "members"

    # -- sending ---------------------------------------------------------------------------
    async def _submit(self, turn: Turn) -> None:
        user = turn.person.user
        assert user is not None
        result = await service.submit(turn.services, user, turn.state.draft, self.criteria)
        if result.problem == "exists":
            turn.say(
                _(
                    "Your household has already sent a declaration for this year. "
                    "Send /xemkhaibao to see it, or /khaibao to change it."
                )
            )
            return
        if result.problem == "reviewed":
            turn.say(
                _(
                    "An officer has reviewed your declaration in the meantime, so this change was not "
                    "saved. Send /xemkhaibao to see where it stands."
                )
            )
            return
        declaration = result.declaration
        assert declaration is not None
        if declaration.version == 1:
            turn.say(
                _("Thank you! Your household's declaration for {year} has been sent.").format(
                    year=declaration.year
                )
            )
        else:
            turn.say(
                _("Thank you! Your changes have been sent (version {version}).").format(
                    version=declaration.version
                )
            )
        turn.say(
            "\n".join(assessment_lines(self.criteria, result.outcomes, declaration.data, provisional=True))
        )
        turn.say(
            _(
                "The study promotion officer of your area will review it; I will tell you the result here. "
                "Until then you can see it with /xemkhaibao and change it with /khaibao."
            )
        )
