"""Scoring the matcher on an evaluation set (``tests/data/faq_*.toml``): shared by tests and bench.

An item is ``[[q]] text = "…" topic = "…"`` with ``topic = ""`` for out of scope. A prediction is
right when the bot's answer is the expected topic, or — for out-of-scope items — when the bot
does not answer. Subgroups: typed with diacritics, typed without, out of scope.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.text import fold, normalize, words
from handlers.faq.service import FaqService

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = Path(__file__).resolve().parent / "data"
EVAL_FILE = EVAL_DIR / "faq_eval.toml"
HOLDOUT_FILE = EVAL_DIR / "faq_holdout.toml"
BLIND_FILE = EVAL_DIR / "faq_blind.toml"  # blind once; its misses then shaped the analysis
BLIND2_FILE = EVAL_DIR / "faq_blind2.toml"  # written before those changes, run once after them
BLIND3_FILE = EVAL_DIR / "faq_blind3.toml"  # issue 12: written by another writer, run once at the end
BLIND4_FILE = EVAL_DIR / "faq_blind4.toml"  # issue 12, second round: another writer, run once at its end


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


def evaluate_cli(items: list[Item]) -> Report:
    """The same items through ``python -m bot ask --json -``: the contract issue 12 names.

    One process reads every question (one a line) and prints one JSON object a line; the answer
    counted is its ``topic``. The ranking is not printed, so ``ranked_first`` is the answer.
    """
    lines = [item.text.replace("\n", " ") for item in items]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    if len(rows) != len(items):
        raise RuntimeError(f"ask --json printed {len(rows)} lines for {len(items)} questions")
    report = Report()
    for item, row in zip(items, rows, strict=True):
        report.outcomes.append(Outcome(item, row["topic"], row["topic"], row["score"]))
    return report


@dataclass(frozen=True, slots=True)
class Scored:
    """One question scored once, whatever the threshold: its best candidate and confidence."""

    item: Item
    first: str | None  # None: no candidate, or a message that never gets a topic
    score: float

    def correct(self, threshold: float) -> bool:
        answered = self.first if self.first is not None and self.score >= threshold else None
        return answered == self.item.topic


def score_items(service: FaqService, items: list[Item]) -> list[Scored]:
    result = []
    for item in items:
        match = service.match(item.text)
        answerable = match.kind == "question" and match.candidates
        result.append(Scored(item, match.candidates[0].topic if answerable else None, match.score))
    return result


def accuracy_at(scored: Sequence[Scored], threshold: float) -> float:
    return sum(s.correct(threshold) for s in scored) / len(scored) if scored else 0.0


def calibrate(
    sets: dict[str, list[Scored]], thresholds: Sequence[float]
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Leave-one-set-out calibration of the threshold.

    Returns the pooled accuracy by threshold on all the sets together, and for each set the
    threshold chosen on the *other* sets (best pooled accuracy there; ties go to the middle of
    the best run) with the accuracy that threshold gets on the set left out: an estimate of how
    a threshold chosen this way does on questions it was not chosen on.
    """

    def best(pool: list[Scored]) -> float:
        values = [accuracy_at(pool, t) for t in thresholds]
        top = max(values)
        tied = [t for t, v in zip(thresholds, values, strict=True) if v >= top - 1e-9]
        return tied[len(tied) // 2]

    pooled = [s for scored in sets.values() for s in scored]
    by_threshold = {f"{t:.3f}": accuracy_at(pooled, t) for t in thresholds}
    left_out = {}
    for name, scored in sets.items():
        others = [s for other, group in sets.items() if other != name for s in group]
        chosen = best(others)
        left_out[name] = (chosen, accuracy_at(scored, chosen))
    return by_threshold, left_out
