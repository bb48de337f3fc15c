"""What a weekly report holds: counts per week for one area and for the areas one level down."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.i18n import N_
from storage.areas import Area


@dataclass(frozen=True, slots=True)
class Measure:
    kind: str  # the event kind counted
    short: str  # column header in the chat table: a few letters (marked with N_)
    label: str  # full name for legends and file headers (marked with N_)


# The chat table, the chart and the files show the same measures, in this order. A sign-up that
# goes onto a waiting list is counted as waiting; it counts as a sign-up when a place frees up.
MEASURES = (
    Measure("user.registered", N_("New"), N_("New people")),
    Measure("declaration.submitted", N_("Decl"), N_("Declarations submitted")),
    Measure("declaration.approved", N_("Appr"), N_("Declarations approved")),
    Measure("declaration.returned", N_("Ret"), N_("Declarations returned")),
    Measure("training.signup", N_("Train"), N_("Training sign-ups (with a place)")),
    Measure("training.waiting", N_("Wait"), N_("Put on a waiting list")),
    Measure("training.cancel", N_("Canc"), N_("Training cancellations")),
)
CHAT_MEASURES = MEASURES
KINDS = frozenset(m.kind for m in MEASURES)


class Series:
    """Counts per (week, kind); a week or kind without events counts zero."""

    __slots__ = ("_totals", "_values")

    def __init__(self, values: Mapping[tuple[date, str], int] | None = None) -> None:
        self._values: dict[tuple[date, str], int] = {}
        self._totals: dict[str, int] = {}  # per kind, kept as counts are added
        for (week, kind), n in (values or {}).items():
            self.add(week, kind, n)

    def add(self, week: date, kind: str, n: int) -> None:
        self._values[(week, kind)] = self._values.get((week, kind), 0) + n
        self._totals[kind] = self._totals.get(kind, 0) + n

    def get(self, week: date, kind: str) -> int:
        return self._values.get((week, kind), 0)

    def total(self, kind: str) -> int:
        return self._totals.get(kind, 0)

    def minus(self, others: Iterable[Series]) -> Series:
        rest = Series(self._values)
        for other in others:
            for (week, kind), n in other._values.items():
                rest.add(week, kind, -n)
        return rest

    def is_zero(self) -> bool:
        return not any(self._values.values())


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the breakdown: an area one level below the report's area."""

    label: str
    series: Series
    area: Area | None = None  # None for the line of events not placed in any smaller area


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    title: str  # the area's name (or "All areas")
    scope: Area | None  # None: every area (administrators)
    up: Area | None  # where "up" leads, when there is somewhere to go
    up_to_all: bool  # "up" leads to every area (several top-level areas)
    weeks: tuple[date, ...]  # Mondays, oldest first
    current_week: date  # this week is not over yet
    total: Series
    parts: tuple[Line, ...]  # the areas one level down, in tree order; then "elsewhere"
    channels: tuple[tuple[str, Series], ...]  # per channel, for the whole area

    @property
    def first_day(self) -> date:
        return self.weeks[0]

    @property
    def last_day(self) -> date:
        return self.weeks[-1] + timedelta(days=6)

    def unfinished(self, week: date) -> bool:
        return week >= self.current_week
