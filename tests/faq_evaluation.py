"""Scoring the matcher on an evaluation set (``tests/data/faq_*.toml``): shared by tests and bench.

An item is ``[[q]] text = "…" topic = "…"`` with ``topic = ""`` for out of scope. A prediction is
right when the bot's answer is the expected topic, or — for out-of-scope items — when the bot
does not answer. Subgroups: typed with diacritics, typed without, out of scope.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.text import fold, normalize, words
from handlers.faq.service import FaqService

EVAL_DIR = Path(__file__).resolve().parent / "data"
EVAL_FILE = EVAL_DIR / "faq_eval.toml"
HOLDOUT_FILE = EVAL_DIR / "faq_holdout.toml"
BLIND_FILE = EVAL_DIR / "faq_blind.toml"  # blind once; its misses then shaped the analysis
BLIND2_FILE = EVAL_DIR / "faq_blind2.toml"  # written before those changes, run once after them
BLIND3_FILE = EVAL_DIR / "faq_blind3.toml"  # issue 12: written by another writer, run once at the end


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    topic: str | None  # None: out of scope

    @property
    def accented(self) -> bool:
        return fold(self.text) != normalize(self.text)


@dataclass(frozen=True, slots=True)
class Outcome:
    item: Item
    predicted: str | None
    ranked_first: str | None  # best candidate whatever its confidence
    score: float

    @property
    def correct(self) -> bool:
        return self.predicted == self.item.topic


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def accuracy(self, which: str = "all") -> tuple[int, int]:
        """(right, total) for "all", "accented", "unaccented", "out_of_scope" or "in_scope"."""
        chosen = [o for o in self.outcomes if _belongs(o.item, which)]
        return sum(o.correct for o in chosen), len(chosen)

    def ranking_accuracy(self) -> tuple[int, int]:
        """In-scope items whose best candidate is right, whatever the threshold."""
        chosen = [o for o in self.outcomes if o.item.topic is not None]
        return sum(o.ranked_first == o.item.topic for o in chosen), len(chosen)

    @property
    def mistakes(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]


def _belongs(item: Item, which: str) -> bool:
    if which == "all":
        return True
    if which == "out_of_scope":
        return item.topic is None
    if which == "in_scope":
        return item.topic is not None
    if which == "accented":
        return item.accented
    if which == "unaccented":
        return not item.accented
    raise ValueError(f"unknown subgroup {which!r}")


def load_items(path: Path = EVAL_FILE) -> list[Item]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    items = []
    for index, raw in enumerate(data.get("q", [])):
        text, topic = raw.get("text"), raw.get("topic")
        if not isinstance(text, str) or not text.strip() or not isinstance(topic, str):
            raise ValueError(f'{path}: item #{index + 1} needs text and topic ("" for out of scope)')
        items.append(Item(text, topic or None))
    return items


def verbatim(service: FaqService, items: list[Item]) -> list[Item]:
    """Items that equal (accent-free) a phrasing, keyword or title of the knowledge base.

    Canonical questions ("quỹ khuyến học là gì") are bound to appear on both sides; the accuracy
    on the other items shows how the matcher does on wordings it has never seen.
    """
    known = {
        " ".join(words(text))
        for language in ("vi", "en")
        for topic in service.topics(language)
        for text in (*topic.questions, *topic.keywords, topic.title)
    }
    return [item for item in items if " ".join(words(item.text)) in known]


def evaluate(service: FaqService, items: list[Item]) -> Report:
    report = Report()
    for item in items:
        match = service.match(item.text)
        first = match.candidates[0].topic if match.candidates else None
        report.outcomes.append(Outcome(item, match.topic, first, match.score))
    return report
