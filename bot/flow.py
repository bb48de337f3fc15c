"""Multi-step flows as small explicit state machines, persisted after every step.

A flow subclass defines, for each step name ``x``, ``ask_x(turn)`` (say the question) and
``on_x(turn, answer)`` (check the answer; return the next step, or ``DONE``). Raising ``Reask``
gives the person a short hint and asks the same step again, so bad input never loses the draft.

An answer a step cannot use that says "I want to stop" ("thôi, không khai nữa"; the patterns are
``quit`` in ``locales/words.toml``) stops the flow and offers to go on where it was: the draft is
kept beside the stopped flow until another one starts.

The step components every flow shares live here too, so a choice is asked and read one way:
``choose`` (one option among buttons, by tap, number or words), ``Confirm`` (a yes/no question)
and ``Checklist`` (several options: a typed message is the whole answer, taps tick one by one
until "Xong"). The matching itself is ``bot.choice``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.choice import (
    Option,
    Several,
    buttons,
    is_question,
    match,
    several,
    translated,
    words,
)
from bot.context import Answer, Turn
from bot.i18n import _
from bot.model import Button

DONE = ""
RESUME_KEY = "_stopped"  # in the draft after a flow stopped on "thôi…": what to go on with
GO_ON = "flow:on"  # the payload of "go on": the step of the form in progress, or of the one stopped


class Reask(Exception):
    """The answer does not fit this step: tell the person why and ask again.

    With ``buttons`` (which one did you mean?), only the hint and those buttons are shown."""

    def __init__(self, hint: str, buttons: Sequence[Button] = ()) -> None:
        super().__init__(hint)
        self.hint = hint
        self.buttons = tuple(buttons)


class NotChosen(Reask):
    """The answer to a choice names none of its options (or several): the step waits for a
    choice, so the answer is never taken for a question to the Q&A."""


class NotListed(NotChosen):
    """A number with nothing at that place in the list: said so, whatever the step's own hint."""


class StepFlow:
    name: ClassVar[str]
    first_step: ClassVar[str]
    # Shown when the person cancels or when another flow is blocked by this one.
    title: ClassVar[str] = ""
    # Steps that take a picture; anywhere else a picture is answered "please type".
    photo_steps: ClassVar[frozenset[str]] = frozenset()

    async def start(self, turn: Turn, draft: dict[str, Any] | None = None, step: str | None = None) -> None:
        turn.state.flow = self.name
        turn.state.step = step or self.first_step
        turn.state.draft = dict(draft or {})
        await self.ask(turn)

    async def ask(self, turn: Turn) -> None:
        step = turn.state.step or self.first_step
        await getattr(self, f"ask_{step}")(turn)

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step or self.first_step
        try:
            if turn.msg.photo is not None and step not in self.photo_steps:
                raise Reask(_("Sorry, I can only read text here. Please type your answer."))
            next_step = await getattr(self, f"on_{step}")(turn, turn.answer)
        except Reask as problem:
            await self._reask(turn, problem)
            return
        if next_step == DONE:
            turn.state.clear_flow()
            await self.on_done(turn)
        else:
            turn.state.step = next_step
            await self.ask(turn)

    async def _reask(self, turn: Turn, problem: Reask) -> None:
        if turn.answer.payload is None and words().quits(turn.answer.text):
            self.stop(turn)
            return
        if problem.buttons:
            turn.say(problem.hint + "\n" + _("(To stop, type /huy.)"), list(problem.buttons))
            return
        answer = turn.answer
        # A step that takes typed text (a name, a year) and was sent a question: answer it, then
        # ask the step again. A step waiting for a choice never sends its answers to the Q&A.
        if (
            not isinstance(problem, NotChosen)
            and answer.payload is None
            and is_question(answer.text)
            and await turn.router.answer_question(turn)
        ):
            await self.ask(turn)
            return
        turn.say(problem.hint + "\n" + _("(To stop, type /huy.)"))
        await self.ask(turn)

    def stop(self, turn: Turn) -> None:
        """Stop on "thôi, không khai nữa": the flow ends, and what was entered waits beside it with
        a choice to go on where it was (``GO_ON``, read by the router), until another flow starts."""
        state = turn.state
        kept = {"flow": self.name, "step": state.step or self.first_step, "draft": state.draft}
        state.clear_flow()
        state.draft[RESUME_KEY] = kept
        text = _("I have stopped {title}. If you did not mean to, choose “Go on”: what you entered is kept.")
        turn.say(text.format(title=_(self.title)), [go_on_button()])

    async def on_done(self, turn: Turn) -> None:
        """Hook after the last step (the state is already cleared)."""

    def has_step(self, step: str | None) -> bool:
        return bool(step) and hasattr(self, f"ask_{step}") and hasattr(self, f"on_{step}")


def go_on_button() -> Button:
    """ "Go on" with the form: its step again, or the step of the one just stopped."""
    return Button(_("Go on"), GO_ON, ("@resume", "@back"))


# -- choosing at a step ----------------------------------------------------------------------------
def option_buttons(step: str, options: Sequence[Option]) -> list[Button]:
    """Buttons for a step's options, with payload ``step:key`` (and the options' aliases)."""
    return buttons(step, options)


def choose(turn: Turn, step: str, options: Sequence[Option], hint: str | None = None) -> Option:
    """The option picked at ``step``: its button, its number in the list on screen (the router
    maps it to the button), or its words. Raises ``NotChosen`` with a hint otherwise (``hint``
    when nothing fits); several options fitting equally are offered back ("which one?")."""
    shown = len(turn.menu) if turn.menu.belongs_to(step) else 0
    found = picked(step, turn.answer, options, shown)
    if isinstance(found, Option):
        return found
    if hint is not None and not found.buttons and not isinstance(found, NotListed):
        raise NotChosen(hint)
    raise found


def picked(step: str, answer: Answer, options: Sequence[Option], shown: int = 0) -> Option | NotChosen:
    """The option an answer picks, or why not (``shown``: how many choices the list on screen has)."""
    if answer.payload is not None:
        prefix = f"{step}:"
        key = answer.payload[len(prefix) :] if answer.payload.startswith(prefix) else None
        chosen = next((o for o in options if o.key == key), None)
        return chosen or NotChosen(_("That button is no longer active. Please choose again."))
    # Numbers only through the list on screen (mapped by the router): a list no longer shown is
    # never answered by a number typed against it.
    result = match(answer.text, options, numbers=False)
    if result.chosen is not None:
        return result.chosen
    if result.ambiguous:
        return NotChosen(_("Which one do you mean?"), buttons(step, result.candidates))
    if result.number is not None and shown:
        hint = _("There is no number {number} in the list. Please choose a number from 1 to {count}:")
        return NotListed(hint.format(number=result.number, count=shown))
    if result.number is not None:
        return NotListed(_("Please choose by the numbers of the list below."))
    return NotChosen(_("Sorry, I did not catch which one you mean. Please choose from the list below."))


def pick(step: str, answer: Answer, options: Sequence[Option]) -> Option | None:
    """Like ``choose`` without the hint: the option, or None."""
    found = picked(step, answer, options)
    return found if isinstance(found, Option) else None


@dataclass(frozen=True, slots=True)
class Confirm:
    """A yes/no question at a step: two buttons (labels as message ids), answered by tap, number,
    "có"/"ok"/"đúng rồi", the label's words, or "không"/"ko"/"huỷ" — negation first."""

    yes: str
    no: str
    step: str = "confirm"
    # Words for each answer besides the labels' own (``@name``: a list of locales/words.toml).
    yes_words: tuple[str, ...] = ("@yes",)
    no_words: tuple[str, ...] = ("@no", "@cancel")

    def options(self) -> tuple[Option, Option]:
        return Option("yes", _(self.yes), self.yes_words), Option("no", _(self.no), self.no_words)

    def buttons(self) -> list[Button]:
        return buttons(self.step, self.options())

    def ask(self, turn: Turn, question: str) -> None:
        turn.say(question, self.buttons())

    def answer(self, turn: Turn) -> bool:
        """True for yes, False for no; ``NotChosen`` for anything else."""
        hint = _("Please answer yes or no (or tap a button).")
        return choose(turn, self.step, self.options(), hint).key == "yes"


NONE_KEY = "+none"
DONE_KEY = "+done"


@dataclass(frozen=True, slots=True)
class Checklist:
    """Several options may apply. Typed, one message is the whole answer: "3", "1 3", "1, 3 và 4",
    "đọc sách, học trên mạng" — the list becomes exactly those, and the flow goes on (saying what
    was chosen); "xong" keeps the list as it is. Tapped, each button ticks (or unticks) one and
    "Xong" finishes. "None of these" clears the list and finishes. Tapped or typed, the same
    choices give the same list."""

    step: str
    options: tuple[Option, ...]  # labels as message ids

    def _shown(self) -> list[Option]:
        return [
            *translated(self.options),
            Option(NONE_KEY, _("None of these"), ("@none",)),
            Option(DONE_KEY, _("Done"), ("@done",)),
        ]

    def ask(self, turn: Turn, question: str, chosen: Sequence[str]) -> None:
        shown = self._shown()
        marked = [
            Button(("✅ " if o.key in chosen else "▫️ ") + o.label, f"{self.step}:{o.key}", o.aliases)
            if not o.key.startswith("+")
            else Button(o.label, f"{self.step}:{o.key}", o.aliases)
            for o in shown
        ]
        # A tap on this list updates it in place (on Telegram) instead of repeating it.
        payload = turn.msg.payload or ""
        ticked = payload.startswith(f"{self.step}:") and not turn.msg.text
        lines = [
            question,
            _(
                "Several may apply: type the numbers of all that apply in one message, e.g. 1 3 "
                "(or tap them one by one, then “Done”)."
            ),
        ]
        if chosen:
            lines.append(_("Chosen: {list}").format(list=self._names(shown, chosen)))
            lines.append(_("To keep them, type “xong”; numbers you type now replace them."))
        turn.say("\n".join(lines), marked, replace=ticked and not payload.endswith(DONE_KEY))

    @staticmethod
    def _names(shown: Sequence[Option], chosen: Sequence[str]) -> str:
        labels = {o.key: o.label for o in shown}
        return ", ".join(labels[k] for k in chosen if k in labels) or _("none of these")

    def answer(self, turn: Turn, chosen: list[str]) -> bool:
        """Update ``chosen`` in place; True when the person has finished."""
        answer = turn.answer
        shown = self._shown()
        keys = [o.key for o in shown]
        if answer.payload is not None:
            key = answer.payload.split(":", 1)[1] if answer.payload.startswith(f"{self.step}:") else None
            if key is None or key not in keys:
                raise NotChosen(_("That button is no longer active. Please choose again."))
            if answer.text:  # typed, and read by the router as this button ("3", "xong")
                named = Several((key,))
            elif key == DONE_KEY:
                return True
            elif key == NONE_KEY:
                chosen.clear()
                return True
            elif key in chosen:  # a tap unticks one…
                chosen.remove(key)
                return False
            else:  # …or ticks it
                chosen.append(key)
                return False
        else:
            named = several(answer.text, shown, numbers=turn.menu.belongs_to(self.step))
        if named.unknown or named.ambiguous or not named.keys:
            hint = _("Sorry, I did not understand “{part}”. Type the numbers of all that apply, e.g. 1 3.")
            raise NotChosen(hint.format(part=(named.unknown + named.ambiguous + (answer.text,))[0][:40]))
        items = [k for k in named.keys if k not in (NONE_KEY, DONE_KEY)]
        if NONE_KEY in named.keys and items:
            raise NotChosen(
                _("“None of these” goes with nothing else. Type the numbers of all that apply, e.g. 1 3.")
            )
        if NONE_KEY in named.keys:
            chosen.clear()
        elif items:
            chosen[:] = items
        turn.say(_("Chosen: {list}").format(list=self._names(shown, chosen)))
        return True
