"""Multi-step flows as small explicit state machines, persisted after every step.

A flow subclass defines, for each step name ``x``, ``ask_x(turn)`` (say the question) and
``on_x(turn, answer)`` (check the answer; return the next step, or ``DONE``). Raising ``Reask``
gives the person a short hint and asks the same step again, so bad input never loses the draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from bot.context import Answer, Turn
from bot.i18n import _
from bot.model import Button
from bot.text import fold

DONE = ""


class Reask(Exception):
    """The answer does not fit this step: tell the person why and ask again."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


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
            turn.say(problem.hint)
            await self.ask(turn)
            return
        if next_step == DONE:
            turn.state.clear_flow()
            await self.on_done(turn)
        else:
            turn.state.step = next_step
            await self.ask(turn)

    async def on_done(self, turn: Turn) -> None:
        """Hook after the last step (the state is already cleared)."""

    def has_step(self, step: str | None) -> bool:
        return bool(step) and hasattr(self, f"ask_{step}") and hasattr(self, f"on_{step}")


@dataclass(frozen=True, slots=True)
class Option:
    key: str  # short ASCII, part of the button payload
    label: str


def option_buttons(step: str, options: Sequence[Option]) -> list[Button]:
    """Buttons for a step's options, with payload ``step:key``."""
    return [Button(o.label, f"{step}:{o.key}") for o in options]


def pick(step: str, answer: Answer, options: Sequence[Option]) -> Option | None:
    """The option the person chose: by button (or its number, mapped by the router) or words."""
    if answer.payload is not None:
        prefix = f"{step}:"
        if answer.payload.startswith(prefix):
            key = answer.payload[len(prefix) :]
            return next((o for o in options if o.key == key), None)
        return None
    text = answer.folded.strip(" .)")
    if not text:
        return None
    labels = [(o, fold(o.label)) for o in options]
    exact = [o for o, label in labels if label == text]
    if len(exact) == 1:
        return exact[0]
    partial = [o for o, label in labels if text in label]
    return partial[0] if len(partial) == 1 else None


YES_WORDS = frozenset(
    {"co", "dong y", "ok", "oke", "yes", "y", "dung", "u", "uh", "vang", "da", "dong", "chap nhan"}
)
NO_WORDS = frozenset({"khong", "ko", "k", "no", "n", "khong dong y", "sai", "hk", "kg"})


def yes_no(answer: Answer, step: str) -> bool | None:
    """A yes/no answer by button (``step:yes``/``step:no``) or typed words, accents optional."""
    if answer.payload in (f"{step}:yes", f"{step}:no"):
        return answer.payload.endswith(":yes")
    text = answer.folded.strip(" .!")
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    return None
