"""Criteria of the "Gia đình học tập" title as data: loaded from TOML, validated, evaluated.

Each province adapts the criteria, so they are a file (``locales/vi/criteria.toml``), not code.
A criterion is one of three checks:

* ``each_member``: every member matching ``where`` (and not ``exempt``) must satisfy ``require``;
* ``household``: the household must satisfy ``require``;
* ``review``: only the village review can judge it (optionally only when a member matches ``where``).

Conditions are ``{ field = "...", op = "...", value = ... }`` or ``{ any = [ ...conditions ] }``;
a list of conditions means all of them. A file naming an unknown field, operator, choice or key
is refused at start with a message that says where the mistake is.

Results are three-valued: a fact the form did not ask gives "review" rather than a guess.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.declaration.model import (
    HOUSEHOLD_ENUMS,
    MEMBER_ENUMS,
    HouseholdFacts,
    MemberFacts,
    household_facts,
    member_facts,
)

DEFAULT_FILE = Path(__file__).resolve().parent.parent.parent / "locales" / "vi" / "criteria.toml"
SCHEMA = 1

MEMBER_FIELDS = {
    "age": "int",
    "relation": "enum",
    "learning": "enum",
    "activities": "set",
    "literate": "bool",
}
HOUSEHOLD_FIELDS = {"members": "int", "conditions": "set", "community": "enum"}
OPERATORS = {
    "int": ("eq", "ne", "gte", "lte", "between"),
    "enum": ("eq", "ne", "in", "not_in"),
    "set": ("has_any", "has_all", "count_gte"),
    "bool": ("is",),
}
CHECKS = ("each_member", "household", "review")
TOP_KEYS = frozenset({"schema", "title", "title_en", "source", "criterion"})
SOURCE_KEYS = frozenset({"text", "text_en", "caveat", "caveat_en"})
CRITERION_KEYS = frozenset(
    {
        "id",
        "part",
        "part_en",
        "title",
        "title_en",
        "detail",
        "detail_en",
        "check",
        "where",
        "exempt",
        "require",
    }
)

MET, MISSING, REVIEW, NOT_APPLICABLE = "met", "missing", "review", "na"


class CriteriaError(ValueError):
    """The criteria file is malformed; the message names the file and the place."""


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class AnyOf:
    options: tuple[Condition | AnyOf, ...]


Expr = Condition | AnyOf


@dataclass(frozen=True, slots=True)
class Texts:
    vi: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" and self.en else self.vi


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    part: Texts
    title: Texts
    detail: Texts
    check: str
    where: tuple[Expr, ...]
    exempt: tuple[Expr, ...]
    require: tuple[Expr, ...]

    def fields(self) -> set[str]:
        """Member or household fields this criterion needs answered (not those that select members)."""
        return _fields(self.require) | _fields(self.exempt)


@dataclass(frozen=True, slots=True)
class Outcome:
    criterion: str
    status: str  # met | missing | review | na
    members: tuple[int, ...] = ()  # 1-based numbers of members who do not meet it

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.criterion, "s": self.status}
        if self.members:
            out["m"] = list(self.members)
        return out

    @staticmethod
    def from_json(raw: dict[str, Any]) -> Outcome:
        return Outcome(str(raw["id"]), str(raw["s"]), tuple(int(m) for m in raw.get("m", ())))


@dataclass(frozen=True, slots=True)
class Criteria:
    path: Path
    title: Texts
    source: Texts
    caveat: Texts
    items: tuple[Criterion, ...]

    def get(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.items if c.id == criterion_id), None)

    def evaluate(self, data: dict[str, Any], year: int) -> list[Outcome]:
        members = [member_facts(m, year) for m in data.get("m", [])]
        household = household_facts(data)
        return [_evaluate(c, members, household) for c in self.items]

    def needs(self, field: str, member: dict[str, Any], year: int) -> bool:
        """Whether the form must ask ``field`` of this member: some criterion may judge them by it."""
        facts = member_facts(member, year)
        for criterion in self.items:
            if criterion.check != "each_member" or field not in criterion.fields():
                continue
            if _all(criterion.where, facts) is False:
                continue
            if criterion.exempt and _all(criterion.exempt, facts) is True:
                continue
            return True
        return False


# -- evaluation (three-valued: True, False, or None when a fact is unknown) -----------------


def _test(cond: Condition, facts: MemberFacts | HouseholdFacts) -> bool | None:
    value = facts.get(cond.field)
    if value is None:
        return None
    op, want = cond.op, cond.value
    if op == "eq":
        return bool(value == want)
    if op == "ne":
        return bool(value != want)
    if op == "gte":
        return bool(value >= want)
    if op == "lte":
        return bool(value <= want)
    if op == "between":
        return bool(want[0] <= value <= want[1])
    if op == "in":
        return value in want
    if op == "not_in":
        return value not in want
    if op == "has_any":
        return any(v in value for v in want)
    if op == "has_all":
        return all(v in value for v in want)
    if op == "count_gte":
        return len(value) >= want
    if op == "is":
        return bool(value) is want
    raise AssertionError(f"unvalidated operator {op}")  # the loader refuses unknown operators


def _one(expr: Expr, facts: MemberFacts | HouseholdFacts) -> bool | None:
    if isinstance(expr, Condition):
        return _test(expr, facts)
    results = [_one(option, facts) for option in expr.options]
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _all(exprs: tuple[Expr, ...], facts: MemberFacts | HouseholdFacts) -> bool | None:
    results = [_one(expr, facts) for expr in exprs]
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def _evaluate(criterion: Criterion, members: list[MemberFacts], household: HouseholdFacts) -> Outcome:
    if criterion.check == "household":
        result = _all(criterion.require, household)
        status = {True: MET, False: MISSING, None: REVIEW}[result]
        return Outcome(criterion.id, status)
    selected = [(n, m, _all(criterion.where, m)) for n, m in enumerate(members, 1)]
    if criterion.check == "review":
        if criterion.where and all(w is False for _, _, w in selected):
            return Outcome(criterion.id, NOT_APPLICABLE)
        return Outcome(criterion.id, REVIEW)
    failing: list[int] = []
    unknown = applicable = False
    for number, member, where in selected:
        if where is False:
            continue
        if criterion.exempt and _all(criterion.exempt, member) is True:
            continue
        applicable = True
        result = _all(criterion.require, member)
        if where is True and result is False:
            failing.append(number)
        elif result is not True or where is None:
            unknown = True
    if failing:
        return Outcome(criterion.id, MISSING, tuple(failing))
    if unknown:
        return Outcome(criterion.id, REVIEW)
    return Outcome(criterion.id, MET if applicable else NOT_APPLICABLE)


def _fields(exprs: tuple[Expr, ...]) -> set[str]:
    found: set[str] = set()
    for expr in exprs:
        if isinstance(expr, Condition):
            found.add(expr.field)
        else:
            found |= _fields(expr.options)
    return found


# -- loading and validation ---------------------------------------------------------------


def _texts(table: dict[str, Any], key: str, where: str, required: bool = True) -> Texts:
    vi = table.get(key, "")
    en = table.get(f"{key}_en", "")
    if not isinstance(vi, str) or not isinstance(en, str):
        raise CriteriaError(f"{where}: {key} must be text")
    if required and not vi.strip():
        raise CriteriaError(f"{where}: {key} is missing")
    return Texts(vi.strip(), en.strip())


def _condition(raw: Any, fields: dict[str, str], enums: dict[str, tuple[str, ...]], where: str) -> Expr:
    if not isinstance(raw, dict):
        raise CriteriaError(f"{where}: a condition must be a table like {{ field = …, op = …, value = … }}")
    if set(raw) == {"any"}:
        options = raw["any"]
        if not isinstance(options, list) or not options:
            raise CriteriaError(f"{where}: 'any' needs a non-empty list of conditions")
        return AnyOf(tuple(_condition(o, fields, enums, where) for o in options))
    unknown = set(raw) - {"field", "op", "value"}
    if unknown or not {"field", "op", "value"} <= set(raw):
        raise CriteriaError(
            f"{where}: a condition has exactly the keys field, op and value (got {', '.join(sorted(raw))})"
        )
    field, op, value = raw["field"], raw["op"], raw["value"]
    if field not in fields:
        raise CriteriaError(f"{where}: unknown field {field!r} (known here: {', '.join(sorted(fields))})")
    kind = fields[field]
    if op not in OPERATORS[kind]:
        raise CriteriaError(
            f"{where}: unknown operator {op!r} for {kind} field {field!r}"
            f" (use one of: {', '.join(OPERATORS[kind])})"
        )
    _check_value(field, kind, op, value, enums.get(field, ()), where)
    if isinstance(value, list):
        value = tuple(value)
    return Condition(field, op, value)


def _check_value(field: str, kind: str, op: str, value: Any, known: tuple[str, ...], where: str) -> None:
    def fail(expected: str) -> CriteriaError:
        return CriteriaError(f"{where}: {field} {op} needs {expected} (got {value!r})")

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(is_int(v) for v in value)):
            raise fail("two whole numbers [low, high]")
        if value[0] > value[1]:
            raise fail("low ≤ high")
    elif kind == "int" or op == "count_gte":
        if not is_int(value) or value < 0:
            raise fail("a whole number ≥ 0")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise fail("true or false")
    elif op in ("eq", "ne"):
        if value not in known:
            raise fail(f"one of {', '.join(known)}")
    else:
        if not isinstance(value, list) or not value:
            raise fail("a non-empty list")
        wrong = [v for v in value if v not in known]
        if wrong:
            raise CriteriaError(
                f"{where}: {field} {op}: unknown choice(s) {', '.join(map(repr, wrong))}"
                f" (known: {', '.join(known)})"
            )


def _conditions(
    raw: Any, fields: dict[str, str], enums: dict[str, tuple[str, ...]], where: str
) -> tuple[Expr, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CriteriaError(f"{where}: must be a list of conditions")
    return tuple(_condition(c, fields, enums, where) for c in raw)


def _criterion(raw: Any, index: int, path: Path) -> Criterion:
    if not isinstance(raw, dict):
        raise CriteriaError(f"{path}: [[criterion]] #{index} is not a table")
    ident = raw.get("id")
    where = f"{path}: criterion {ident!r}" if ident else f"{path}: criterion #{index}"
    if not isinstance(ident, str) or not ident.replace("_", "").isalnum() or not ident.isascii():
        raise CriteriaError(f"{where}: id must be a short ASCII name like children_school")
    unknown = set(raw) - CRITERION_KEYS
    if unknown:
        raise CriteriaError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}"
            f" (known: {', '.join(sorted(CRITERION_KEYS))})"
        )
    check = raw.get("check")
    if check not in CHECKS:
        raise CriteriaError(f"{where}: check must be one of {', '.join(CHECKS)} (got {check!r})")
    if check == "household":
        if "where" in raw or "exempt" in raw:
            raise CriteriaError(f"{where}: a household check has no 'where' or 'exempt'")
        require = _conditions(raw.get("require"), HOUSEHOLD_FIELDS, HOUSEHOLD_ENUMS, f"{where}, require")
        where_: tuple[Expr, ...] = ()
        exempt: tuple[Expr, ...] = ()
    else:
        where_ = _conditions(raw.get("where"), MEMBER_FIELDS, MEMBER_ENUMS, f"{where}, where")
        exempt = _conditions(raw.get("exempt"), MEMBER_FIELDS, MEMBER_ENUMS, f"{where}, exempt")
        require = _conditions(raw.get("require"), MEMBER_FIELDS, MEMBER_ENUMS, f"{where}, require")
        if check == "review" and (exempt or require):
            raise CriteriaError(f"{where}: a review check has only 'where' (the village review judges it)")
    if check != "review" and not require:
        raise CriteriaError(f"{where}: 'require' is missing")
    return Criterion(
        id=ident,
        part=_texts(raw, "part", where, required=False),
        title=_texts(raw, "title", where),
        detail=_texts(raw, "detail", where, required=False),
        check=check,
        where=where_,
        exempt=exempt,
        require=require,
    )


def load_criteria(path: Path | None = None) -> Criteria:
    """Read and validate a criteria file; raise ``CriteriaError`` naming the first mistake."""
    path = path or DEFAULT_FILE
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise CriteriaError(f"{path}: no such criteria file") from None
    except tomllib.TOMLDecodeError as exc:
        raise CriteriaError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise CriteriaError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    if raw.get("schema") != SCHEMA:
        raise CriteriaError(f"{path}: schema must be {SCHEMA} (got {raw.get('schema')!r})")
    source = raw.get("source")
    if not isinstance(source, dict) or set(source) - SOURCE_KEYS:
        raise CriteriaError(f"{path}: [source] must have text and caveat (and text_en, caveat_en)")
    items = raw.get("criterion")
    if not isinstance(items, list) or not items:
        raise CriteriaError(f"{path}: no [[criterion]] entries")
    criteria = tuple(_criterion(item, i, path) for i, item in enumerate(items, 1))
    ids = [c.id for c in criteria]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CriteriaError(f"{path}: criterion id(s) used twice: {', '.join(duplicates)}")
    return Criteria(
        path=path,
        title=_texts(raw, "title", str(path)),
        source=_texts(source, "text", f"{path} [source]"),
        caveat=_texts(source, "caveat", f"{path} [source]"),
        items=criteria,
    )


def configured_path(settings: object) -> Path:
    """The association's criteria file: ``Settings.criteria_path`` when configured, else the default."""
    path = getattr(settings, "criteria_path", None)
    return Path(path) if path else DEFAULT_FILE
