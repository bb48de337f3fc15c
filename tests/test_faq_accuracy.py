"""Top-1 accuracy of the Q&A on the evaluation set (≥ 90 %), and that the set is fit for purpose.

Timing is not asserted here (tests run concurrently); bench/faq.py prints the latency.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.faq.knowledge import load_all
from handlers.faq.service import FaqService
from tests.faq_evaluation import (
    BLIND2_FILE,
    BLIND3_FILE,
    BLIND4_FILE,
    BLIND_FILE,
    EVAL_FILE,
    HOLDOUT_FILE,
    Item,
    evaluate,
    load_items,
    verbatim,
)

TARGET = 0.90


@pytest.fixture(scope="module")
def service() -> FaqService:
    return FaqService.load()


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return load_items(EVAL_FILE)


def test_evaluation_set_is_large_mostly_unaccented_with_out_of_scope_questions(items: list[Item]) -> None:
    ids = set(load_all()["vi"].ids)
    assert len(items) >= 150
    assert sum(not i.accented for i in items) / len(items) >= 0.40
    assert sum(i.topic is None for i in items) / len(items) >= 0.10
    assert all(i.topic is None or i.topic in ids for i in items)
    assert len({i.text for i in items}) == len(items), "duplicate questions"


def test_accuracy_holds_on_wordings_the_knowledge_base_does_not_contain(
    service: FaqService, items: list[Item]
) -> None:
    """Canonical questions ("quy khuyen hoc la gi") appear in both; the rest must do as well."""
    copied = verbatim(service, items)
    assert len(copied) / len(items) < 0.25, "the evaluation set leans on the knowledge base's phrasings"
    novel = [i for i in items if i not in copied]
    right, total = evaluate(service, novel).accuracy("all")
    assert right / total >= TARGET, f"{right}/{total} on wordings not in the knowledge base"


def test_top1_accuracy_on_the_evaluation_set(service: FaqService, items: list[Item]) -> None:
    report = evaluate(service, items)
    right, total = report.accuracy("all")
    mistakes = "\n".join(
        f"{m.item.text!r}: expected {m.item.topic}, got {m.predicted}" for m in report.mistakes
    )
    assert right / total >= TARGET, f"accuracy {right}/{total}\n{mistakes}"
    for subgroup in ("accented", "unaccented", "out_of_scope"):
        right, total = report.accuracy(subgroup)
        assert right / total >= 0.85, f"{subgroup}: {right}/{total}\n{mistakes}"


def test_top1_accuracy_on_the_held_out_set(service: FaqService) -> None:
    right, total = evaluate(service, load_items(HOLDOUT_FILE)).accuracy("all")
    assert right / total >= TARGET


def test_top1_accuracy_on_the_first_blind_set(service: FaqService) -> None:
    """Blind once (80 %); its misses led to weak, regional words and phrases, so it now guards them."""
    report = evaluate(service, load_items(BLIND_FILE))
    right, total = report.accuracy("all")
    mistakes = "\n".join(
        f"{m.item.text!r}: expected {m.item.topic}, got {m.predicted}" for m in report.mistakes
    )
    assert right / total >= TARGET, f"accuracy {right}/{total}\n{mistakes}"


def test_second_blind_set_is_fit_for_purpose(service: FaqService) -> None:
    """Its accuracy is a figure to report (bench/faq.py), never a target to tune on: not asserted."""
    items = load_items(BLIND2_FILE)
    ids = set(load_all()["vi"].ids)
    assert len(items) >= 60
    assert sum(not i.accented for i in items) / len(items) >= 0.50
    assert sum(i.topic is None for i in items) / len(items) >= 0.10
    assert all(i.topic is None or i.topic in ids for i in items)
    assert len({i.text for i in items}) == len(items), "duplicate questions"
    assert not verbatim(service, items), "a question copies a phrasing of the knowledge base"


@pytest.mark.parametrize("path", [BLIND2_FILE, BLIND3_FILE], ids=["blind2", "blind3"])
def test_the_studied_blind_sets_stay_above_the_target(service: FaqService, path: Path) -> None:
    """Blind 2 and 3 were run blind once each (74.7 %, 85.3 %); the second round of issue 12
    studied their misses, so they guard those fixes now (their figures are no longer estimates)."""
    report = evaluate(service, load_items(path))
    right, total = report.accuracy("all")
    mistakes = "\n".join(
        f"{m.item.text!r}: expected {m.item.topic}, got {m.predicted}" for m in report.mistakes
    )
    assert right / total >= TARGET, f"accuracy {right}/{total}\n{mistakes}"


def test_fourth_blind_set_is_fit_for_purpose() -> None:
    """Run once (90.4 %, in its header); its accuracy is reported by bench/faq.py, never asserted."""
    items = load_items(BLIND4_FILE)
    ids = set(load_all()["vi"].ids)
    assert len(items) >= 150
    assert sum(not i.accented for i in items) / len(items) >= 0.50
    assert sum(i.topic is None for i in items) / len(items) >= 0.10
    assert all(i.topic is None or i.topic in ids for i in items)
    assert len({i.text for i in items}) == len(items), "duplicate questions"
