"""The one shape of a feature: dependencies in through ``__init__``, ``register(router)`` when asked.

Each package under ``handlers/`` has a ``feature.py`` with one ``Feature`` subclass. The
composition root (``bot.bootstrap``) builds every feature once with typed dependencies and
registers them in a visible order. Optional hooks, each with a harmless default:

- ``check()``: load data files now, so ``run`` and ``chat`` stop at start with one line naming the
  file and the mistake (``DataError``) instead of failing mid-conversation. CLI commands that do
  not use a feature never load its data.
- ``due_work(services)``: timed work (reminders, announcements set for later, a broadcast's
  progress) that the kernel scheduler (``bot.scheduler``) runs when it falls due, started after
  the delivery worker. Features never see a channel: what they show beyond replies goes through
  the outbox or ``services.status``.
- ``personal_data(turn)``: what this feature stores about the person, for ``/dulieu``.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from bot.context import Turn
    from bot.router import Router
    from bot.scheduler import DueWork
    from bot.services import Services

T = TypeVar("T")


class DataError(Exception):
    """A data file (criteria, knowledge base…) is missing or malformed: one line for the operator."""


class Lazy(Generic[T]):
    """A value loaded on first use and kept (data files: criteria, the knowledge base).

    ``load`` raises the loader's own error; ``check()`` turns it into a ``DataError``."""

    def __init__(self, load: Callable[[], T], errors: tuple[type[Exception], ...] = ()) -> None:
        self._load = load
        self._errors = errors
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._load()
        return self._value

    def set(self, value: T) -> None:
        self._value = value

    @property
    def loaded(self) -> bool:
        return self._value is not None

    def check(self) -> T:
        try:
            return self.get()
        except self._errors as exc:
            raise DataError(str(exc)) from None


@dataclass(slots=True)
class DataSection:
    """A feature's part of ``/dulieu``: lines for the overview, and whole messages after it."""

    lines: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


PersonalData = Callable[["Turn"], Awaitable[DataSection]]


class Feature:
    name: ClassVar[str]

    def register(self, router: Router) -> None:
        raise NotImplementedError

    def check(self) -> None:
        """Load this feature's data files now; raise ``DataError`` with one clear line."""

    def due_work(self, services: Services) -> Sequence[DueWork[Any]]:
        return ()

    async def personal_data(self, turn: Turn) -> DataSection:
        return DataSection()
