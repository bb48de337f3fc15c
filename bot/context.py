"""What a handler receives for one incoming message: the person, their state, the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from bot.choice import Menu
from bot.i18n import _
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


class Forbidden(Exception):
    """The person may not do this. Raised by ``Person.require_*`` and ``Person.scope``; the
    router tells the person why, in their language, and the turn goes on no further."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "")
        self.message = message  # a message id (marked with N_), or None for the usual refusal

    def text(self) -> str:
        if self.message:
            return _(self.message)
        return _("Sorry, this command is only for officers or administrators of the association.")


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an officer acts: their area and everything below it; everywhere for administrators."""

    area: Area | None  # None: everywhere

    @property
    def path(self) -> str | None:
        """The area path to filter on (None: no filter)."""
        return self.area.path if self.area is not None else None

    @property
    def everywhere(self) -> bool:
        return self.area is None

    def contains(self, area: Area) -> bool:
        return self.area is None or self.area.contains(area)


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

    def require_officer(self) -> None:
        """Officers and administrators only (payloads can be forged: checked on the server)."""
        if self.role < Role.OFFICER:
            raise Forbidden()

    def require_admin(self) -> None:
        if self.role < Role.ADMIN:
            raise Forbidden()

    def scope(self) -> Scope:
        """Where this person acts as an officer: everywhere for an administrator, the officer's
        area and below for an officer; ``Forbidden`` for everyone else. An officer whose area is
        missing is no officer (``role`` is family), so no caller has to decide what that means."""
        if self.role == Role.ADMIN:
            return Scope(None)
        if self.role == Role.OFFICER and self.officer_area is not None:
            return Scope(self.officer_area)
        raise Forbidden()

    def can_see(self, area: Area) -> bool:
        """Server-side area check: admins see all, officers their area and below."""
        if self.role < Role.OFFICER:
            return False
        return self.scope().contains(area)


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
    def menu(self) -> Menu:
        """The buttons on screen when this message came: the last thing the bot showed."""
        return Menu.of(self.state.menu)

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
