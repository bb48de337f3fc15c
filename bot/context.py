"""What a handler receives for one incoming message: the person, their state, the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from bot.model import Attachment, Button, Incoming, Reply
from bot.services import Services
from bot.text import fold
from storage.areas import Area
from storage.conversations import ConversationState
from storage.users import User

if TYPE_CHECKING:
    from bot.router import Router


class Role(IntEnum):
    """Ordered: an admin may do what an officer may, an officer what a family may."""

    GUEST = 0  # has not accepted the consent notice: nothing about them is stored
    FAMILY = 1
    OFFICER = 2
    ADMIN = 3


@dataclass(slots=True)
class Person:
    key: str
    channel: str
    chat_id: str
    display_name: str
    language: str
    user: User | None = None
    is_admin: bool = False
    officer_area: Area | None = None  # the area an officer serves (with everything below it)
    area: Area | None = None  # where the person lives

    @property
    def role(self) -> Role:
        if self.user is None:
            return Role.GUEST
        if self.is_admin:
            return Role.ADMIN
        if self.officer_area is not None:
            return Role.OFFICER
        return Role.FAMILY

    @property
    def user_id(self) -> int:
        if self.user is None:
            raise PermissionError("no consent yet")
        return self.user.id

    def can_see(self, area: Area) -> bool:
        """Server-side area check: admins see all, officers their area and below."""
        if self.role == Role.ADMIN:
            return True
        return self.officer_area is not None and self.officer_area.contains(area)


@dataclass(slots=True)
class Answer:
    """The person's input at a step: a button payload, typed text, or both."""

    text: str
    payload: str | None
    photo: Attachment | None = None

    @property
    def folded(self) -> str:
        return fold(self.text)


@dataclass(slots=True)
class Turn:
    msg: Incoming
    person: Person
    state: ConversationState
    services: Services
    router: Router
    replies: list[Reply] = field(default_factory=list)

    @property
    def answer(self) -> Answer:
        return Answer(text=(self.msg.text or "").strip(), payload=self.msg.payload, photo=self.msg.photo)

    def say(
        self,
        text: str,
        buttons: Sequence[Button] | Sequence[Sequence[Button]] | None = None,
        *,
        columns: int = 1,
        replace: bool = False,
    ) -> None:
        if buttons and isinstance(buttons[0], Button):
            flat = [b for b in buttons if isinstance(b, Button)]
            rows = [tuple(flat[i : i + columns]) for i in range(0, len(flat), columns)]
        else:
            rows = [tuple(r) for r in (buttons or []) if not isinstance(r, Button) and r]
        self.replies.append(Reply(text=text, buttons=tuple(rows), replace=replace))

    def add(self, reply: Reply) -> None:
        self.replies.append(reply)
