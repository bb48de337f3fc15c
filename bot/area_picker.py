"""Choosing an area from the tree, one level at a time (ward, then village or residential group).

Shared by onboarding and the family declaration form: both keep where the person is in the tree
in their flow's draft, under keys they choose, so the picker holds no state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.choice import Option, buttons
from bot.context import Answer, Turn
from bot.flow import choose
from bot.i18n import _
from bot.text import esc
from storage.areas import Area

PAGE_SIZE = 8


@dataclass(frozen=True, slots=True)
class AreaPicker:
    step: str  # the flow step, also the button payload prefix
    parent_key: str  # draft key: the area whose children are shown (absent: the top level)
    page_key: str  # draft key: the page of that list
    top_question: str  # a message id, e.g. "Which ward or commune do you live in?"
    level_question: str  # a message id with {ward}

    def reset(self, draft: dict[str, object]) -> None:
        draft.pop(self.parent_key, None)
        draft.pop(self.page_key, None)

    async def level(self, turn: Turn, parent_id: str | None = None) -> tuple[Area | None, list[Area]]:
        """The area whose children are offered (None: the roots), and those children."""
        areas = turn.services.store.read.areas
        parent = await areas.get(parent_id) if parent_id else None
        children = await areas.children(parent.id if parent else None)
        # A single root (the city or province) is not worth a question: go one level down.
        while len(children) == 1 and await areas.children(children[0].id):
            parent = children[0]
            children = await areas.children(parent.id)
        return parent, children

    async def _current(self, turn: Turn) -> tuple[Area | None, list[Area]]:
        return await self.level(turn, turn.state.draft.get(self.parent_key))

    async def ask(self, turn: Turn) -> bool:
        """Offer the current level; False when no areas are loaded (the person is told)."""
        draft = turn.state.draft
        parent, children = await self._current(turn)
        if not children:
            turn.say(_("No areas have been loaded yet. Please ask the association's administrator."))
            return False
        pages = max(1, -(-len(children) // PAGE_SIZE))
        page = min(int(draft.get(self.page_key, 0)), pages - 1)
        shown = children[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        shown_options = [Option(a.id, a.name) for a in shown] + self._extras(pages, page, parent, draft)
        if self.parent_key in draft and parent is not None:
            question = _(self.level_question).format(ward=esc(parent.name))
        else:
            question = _(self.top_question)
        if pages > 1:
            question += "\n" + _("(page {page} of {pages})").format(page=page + 1, pages=pages)
        turn.say(
            question + "\n" + _("Tap a button, or type its number or name."),
            buttons(self.step, shown_options),
        )
        return True

    def _extras(self, pages: int, page: int, parent: Area | None, draft: dict[str, object]) -> list[Option]:
        """The buttons beside the areas: more, not listed, back."""
        extras = []
        if page + 1 < pages:
            extras.append(Option("+more", _("More…"), ("@more",)))
        if self.parent_key in draft and parent is not None:
            extras.append(Option("+here", _("My village or group is not listed"), ("khong co", "khong thay")))
            extras.append(Option("+back", _("Back"), ("@back",)))
        return extras

    async def choose(self, turn: Turn, answer: Answer) -> str | None:
        """The area chosen: a leaf, or the shown level itself when the village is not listed.

        None when the person only moved in the tree (ask again); ``Reask`` when not understood.
        """
        draft = turn.state.draft
        parent, children = await self._current(turn)
        pages = max(1, -(-len(children) // PAGE_SIZE))
        page = min(int(draft.get(self.page_key, 0)), pages - 1)
        # Every area of the level can be named, not only those of the page on screen.
        options = [Option(a.id, a.name) for a in children] + self._extras(pages, page, parent, draft)
        chosen = choose(
            turn,
            self.step,
            options,
            _("I could not find that in the list. Please choose one of the buttons or type its number."),
        )
        answer = Answer(answer.text, f"{self.step}:{chosen.key}")
        if answer.payload == f"{self.step}:+more":
            draft[self.page_key] = int(draft.get(self.page_key, 0)) + 1
            return None
        if answer.payload == f"{self.step}:+back" and parent is not None:
            top, _children = await self.level(turn)
            if parent.parent_id is None or (top is not None and parent.parent_id == top.id):
                self.reset(draft)
            else:
                draft[self.parent_key], draft[self.page_key] = parent.parent_id, 0
            return None
        if answer.payload == f"{self.step}:+here" and parent is not None:
            return parent.id
        if await turn.services.store.read.areas.children(chosen.key):
            draft[self.parent_key], draft[self.page_key] = chosen.key, 0
            return None
        return chosen.key
