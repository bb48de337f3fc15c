"""The criteria file: loaded and validated at start, evaluated criterion by criterion."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from bot.bootstrap import Runtime, open_runtime, serve
from bot.clock import ManualClock
from bot.config import Settings
from bot.feature import DataError
from handlers.declaration import cli
from handlers.declaration.criteria import (
    MET,
    MISSING,
    NOT_APPLICABLE,
    REVIEW,
    CriteriaError,
    load_criteria,
)

YEAR = 2026

VALID_HEAD = """
schema = 1
title = "Gia đình học tập"
[source]
text = "Nguồn"
caveat = "Lưu ý"
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "criteria.toml"
    path.write_text(VALID_HEAD + body, encoding="utf-8")
    return path


def member(relation: str, born: int, learning: str, literate: bool | None = None, acts=None) -> dict:
    out: dict = {"r": relation, "y": born, "l": learning}
    if literate is not None:
        out["lit"] = literate
    if acts is not None:
        out["a"] = acts
    return out


def test_shipped_file_follows_the_national_framework() -> None:
    criteria = load_criteria()
    assert [c.id for c in criteria.items] == [
        "children_school",
        "children_lower_secondary",
        "children_results",
        "adults_literate",
        "adults_activity",
        "elders",
        "conditions",
        "effect",
    ]
    assert "448/QĐ-KHVN" in criteria.source.vi and "2016–2020" in criteria.source.vi
    assert "20/2014/NĐ-CP" in criteria.source.vi  # universal-education and literacy ages
    assert "2021–2030" in criteria.caveat.vi and "quyết định" in criteria.caveat.vi
    assert {c.check for c in criteria.items} == {"each_member", "household", "review"}
    assert criteria.get("effect").check == "review"  # the effect of learning: people judge it


def test_a_household_is_assessed_criterion_by_criterion() -> None:
    criteria = load_criteria()
    data = {
        "m": [
            member("head", 1975, "none", True, ["reading"]),
            member("spouse", 1978, "none", False, []),  # not literate, no activity
            member("child", 2014, "lower_sec"),  # 12: at school
            member("child", 2018, "none"),  # 8: not at school
            member("grandparent", 1950, "unable"),  # exempt
        ],
        "c": [],
        "e": "never",
    }
    outcomes = {o.criterion: o for o in criteria.evaluate(data, YEAR)}
    assert outcomes["children_school"].status == MISSING and outcomes["children_school"].members == (4,)
    assert outcomes["children_lower_secondary"].status == NOT_APPLICABLE
    assert outcomes["children_results"].status == REVIEW
    assert outcomes["adults_literate"].status == MISSING and outcomes["adults_literate"].members == (2,)
    assert outcomes["adults_activity"].status == MISSING and outcomes["adults_activity"].members == (2,)
    assert outcomes["elders"].status == REVIEW  # the 76-year-old: for the village review
    assert outcomes["conditions"].status == MISSING
    assert outcomes["effect"].status == REVIEW


def test_what_does_not_apply_and_what_is_met() -> None:
    criteria = load_criteria()
    data = {
        "m": [member("head", 1960, "none", True, ["course"]), member("spouse", 1980, "college", True, [])],
        "c": ["books"],
        "e": "often",
    }
    outcomes = {o.criterion: o.status for o in criteria.evaluate(data, YEAR)}
    assert outcomes == {
        "children_school": NOT_APPLICABLE,
        "children_lower_secondary": NOT_APPLICABLE,
        "children_results": NOT_APPLICABLE,
        "adults_literate": MET,  # the 66-year-old is outside 19–60, the 46-year-old reads
        "adults_activity": MET,  # studying at college counts as a learning activity
        "elders": REVIEW,  # the 66-year-old: no national rule, the village decides
        "conditions": MET,
        "effect": REVIEW,
    }


def test_people_over_60_are_for_the_village_review_never_missing() -> None:
    """As the knowledge base's "edge.elderly" answer says: no national rule; the village decides."""
    criteria = load_criteria()
    data = {
        "m": [
            member("head", 1980, "none", True, ["reading"]),
            member("grandparent", 1950, "none", False, []),  # 76: cannot read, no activity
            member("grandparent", 1965, "none", None, None),  # 61: not asked
        ],
        "c": ["books"],
        "e": "often",
    }
    outcomes = {o.criterion: o for o in criteria.evaluate(data, YEAR)}
    assert outcomes["adults_literate"].status == MET and outcomes["adults_activity"].status == MET
    assert outcomes["elders"].status == REVIEW
    assert all(o.status != MISSING for o in outcomes.values())
    assert "chưa có quy định toàn quốc" in criteria.get("elders").title.vi
    assert "địa phương chọn" in criteria.get("adults_literate").title.vi  # a LOCAL CHOICE, said so
    assert "Không tính là chưa đạt" in criteria.get("elders").detail.vi


def test_universal_education_age_not_compulsory_school_age() -> None:
    """QĐ 448: every child of universal-education age (Nghị định 20/2014: 5, 6–14, 11–18 not done)."""
    criteria = load_criteria()
    assert "độ tuổi phổ cập" in criteria.get("children_school").title.vi
    assert "bắt buộc" not in criteria.get("children_school").title.vi
    data = {
        "m": [
            member("head", 1980, "none", True, ["reading"]),
            member("child", 2021, "none"),  # 5: pre-school age, not at school
            member("child", 2010, "none"),  # 16: not at school; has she finished lower secondary?
            member("child", 2009, "upper_sec"),  # 17: at school
        ],
        "c": ["desk"],
        "e": "often",
    }
    outcomes = {o.criterion: o for o in criteria.evaluate(data, YEAR)}
    assert outcomes["children_school"].status == MISSING and outcomes["children_school"].members == (2,)
    assert outcomes["children_lower_secondary"].status == REVIEW
    results = criteria.get("children_results").title.vi
    assert "từ Khá trở lên" in results and "đạt yêu cầu" in results and "hạnh kiểm tốt" not in results


def test_an_unanswered_fact_is_left_to_the_review_not_guessed() -> None:
    criteria = load_criteria()
    data = {"m": [member("head", 1980, "none")], "c": ["desk"], "e": "often"}  # literacy not asked
    outcomes = {o.criterion: o.status for o in criteria.evaluate(data, YEAR)}
    assert outcomes["adults_literate"] == REVIEW
    assert outcomes["adults_activity"] == REVIEW


def test_the_form_asks_only_what_the_criteria_need() -> None:
    criteria = load_criteria()
    assert criteria.needs("literate", {"y": 1980, "l": "none"}, YEAR)
    assert not criteria.needs("literate", {"y": 2014, "l": "lower_sec"}, YEAR)  # a child
    assert not criteria.needs("literate", {"y": 1950, "l": "none"}, YEAR)  # 76: outside 19–60
    assert not criteria.needs("literate", {"y": 2010, "l": "upper_sec"}, YEAR)  # 16: part 1 judges her
    assert criteria.needs("activities", {"y": 1970, "l": "none"}, YEAR)  # every adult to 60
    assert not criteria.needs("activities", {"y": 1950, "l": "none"}, YEAR)  # over 60: the review
    assert not criteria.needs("activities", {"y": 1950, "l": "unable"}, YEAR)  # exempt
    assert not criteria.needs("activities", {"y": 2016, "l": "primary"}, YEAR)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "each_member"\n'
            'require = [{ field = "age", op = "betwen", value = [1, 2] }]\n',
            "unknown operator 'betwen'",
        ),
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "each_member"\n'
            'require = [{ field = "income", op = "gte", value = 1 }]\n',
            "unknown field 'income'",
        ),
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "each_member"\n'
            'require = [{ field = "learning", op = "in", value = ["primry"] }]\n',
            "unknown choice(s) 'primry'",
        ),
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "household"\n'
            'require = [{ field = "literate", op = "is", value = true }]\n',
            "unknown field 'literate'",
        ),
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "each_member"\n'
            'requires = [{ field = "age", op = "gte", value = 1 }]\n',
            "unknown key(s) requires",
        ),
        ('[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "sometimes"\n', "check must be one of"),
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "each_member"\n'
            'require = [{ field = "age", op = "between", value = [60, 19] }]\n',
            "low ≤ high",
        ),
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "review"\n'
            'require = [{ field = "age", op = "gte", value = 1 }]\n',
            "a review check has only 'where'",
        ),
        ('[[criterion]]\nid = "x"\ncheck = "review"\n', "title is missing"),
        (
            '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "review"\n'
            '[[criterion]]\nid = "x"\ntitle = "U"\ncheck = "review"\n',
            "used twice: x",
        ),
        ("", "no [[criterion]] entries"),
    ],
)
def test_a_malformed_file_fails_loudly_naming_the_mistake(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(CriteriaError) as caught:
        load_criteria(write(tmp_path, body))
    assert message in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_an_association_can_use_its_own_stricter_rules(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[criterion]]
id = "two_conditions"
title = "Ít nhất hai điều kiện học tập"
check = "household"
require = [{ field = "conditions", op = "count_gte", value = 2 }]

[[criterion]]
id = "readers"
title = "Người 15–70 tuổi đọc sách hoặc học trực tuyến"
check = "each_member"
where = [{ field = "age", op = "between", value = [15, 70] }]
require = [{ field = "activities", op = "has_any", value = ["reading", "online"] }]
""",
    )
    criteria = load_criteria(path)
    data = {"m": [member("head", 1970, "none", None, ["course"])], "c": ["books"], "e": "often"}
    outcomes = {o.criterion: o.status for o in criteria.evaluate(data, YEAR)}
    assert outcomes == {"two_conditions": MISSING, "readers": MISSING}
    assert not criteria.needs("literate", {"y": 1970}, YEAR)


async def test_a_bad_criteria_file_stops_the_bot_at_start(
    tmp_path: Path, settings: Settings, clock: ManualClock
) -> None:
    bad = write(tmp_path, '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "nope"\n')
    broken = dataclasses.replace(settings, criteria_path=bad)
    # Commands that do not use the criteria (admin, report) still work…
    async with open_runtime(broken, clock) as runtime:
        assert await runtime.services.store.read.areas.count() == 0
    # …but the bot does not start: one line naming the file and the mistake.
    with pytest.raises(DataError, match=f"{bad}.*check must be one of"):
        async with serve(broken, clock, channels=lambda runtime: {}):
            pass


async def test_cli_checks_a_file(app: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli.run(argparse.Namespace(file=None), app.services) == 0
    out = capsys.readouterr().out
    assert "8 criteria, valid" in out and "children_school [each_member]" in out
    assert "require: (activities count_gte 1 or learning in" in out
    bad = write(tmp_path, '[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "each_member"\n')
    assert await cli.run(argparse.Namespace(file=bad), app.services) == 1
    assert "'require' is missing" in capsys.readouterr().err
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    cli.add_parsers(commands, commands)
    assert parser.parse_args(["criteria", "x.toml"]).file == Path("x.toml")
