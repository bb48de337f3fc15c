"""What a household declares: the choices offered, and the shape of a declaration's data.

The stored data (and the conversation draft) use short keys to stay small:
``h`` head's name, ``a`` area id, ``m`` members, ``c`` learning conditions, ``e`` community
learning events, ``n`` note, ``p`` contact phone. A member is ``{"r": relation, "y": year of
birth, "l": current learning, "lit": can read and write, "a": [learning activities]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.choice import Option
from bot.i18n import N_

FORM_VERSION = 1
MAX_MEMBERS = 30


HEAD = "head"

RELATIONS = (
    Option("spouse", N_("Wife or husband"), ("vo", "chong", "vo chong", "vo/chong", "wife", "husband")),
    Option("child", N_("Child"), ("con", "con trai", "con gai", "son", "daughter")),
    Option("child_in_law", N_("Son- or daughter-in-law"), ("con dau", "con re", "dau", "re")),
    Option("grandchild", N_("Grandchild"), ("chau", "chau noi", "chau ngoai")),
    Option("parent", N_("Father or mother"), ("bo", "me", "cha", "ba", "bo me", "father", "mother")),
    Option(
        "grandparent",
        N_("Grandfather or grandmother"),
        ("ong", "ong ba", "ong noi", "ong ngoai", "ba noi", "ba ngoai"),
    ),
    Option("sibling", N_("Brother or sister"), ("anh", "chi", "em", "anh chi em", "anh em", "chi em")),
    Option("other", N_("Other relative or person"), ("khac", "nguoi khac", "other")),
)
HEAD_LABEL = N_("Head of household")

LEARNING = (
    Option("preschool", N_("Pre-school"), ("mam non", "mau giao", "nha tre")),
    Option("primary", N_("Primary school"), ("tieu hoc", "cap 1", "cap i", "lop 1-5")),
    Option("lower_sec", N_("Lower secondary school"), ("thcs", "cap 2", "cap ii", "trung hoc co so")),
    Option("upper_sec", N_("Upper secondary school"), ("thpt", "cap 3", "cap iii", "trung hoc pho thong")),
    Option("vocational", N_("Vocational school"), ("hoc nghe", "trung cap", "truong nghe")),
    Option("college", N_("College or university"), ("dai hoc", "cao dang", "dh", "cd", "university")),
    Option("adult_class", N_("Adult class (literacy, continuing education)"), ("bo tuc", "xoa mu chu")),
    Option("self_study", N_("Self-study"), ("tu hoc",)),
    Option("none", N_("Not studying now"), ("@no", "khong hoc", "khong di hoc", "none")),
    Option("unable", N_("Cannot study (health or disability)"), ("khuyet tat", "benh", "om", "suc khoe")),
)

ACTIVITIES = (
    Option("course", N_("Training course"), ("tap huan", "boi duong", "khoa hoc", "lop tap huan")),
    Option(
        "cltc", N_("Class at the community learning centre"), ("tthtcd", "trung tam", "hoc tap cong dong")
    ),
    Option("reading", N_("Reading books or newspapers"), ("doc sach", "doc bao", "sach", "bao", "doc")),
    Option("online", N_("Learning online"), ("online", "truc tuyen", "tren mang", "internet", "mang")),
    Option("skills", N_("Vocational or skills training"), ("hoc nghe", "ky nang", "nghe", "skills")),
)

CONDITIONS = (
    Option("books", N_("Bookshelf or reading corner"), ("tu sach", "goc doc sach", "sach", "ke sach")),
    Option("desk", N_("A place for the children to study"), ("goc hoc tap", "ban hoc", "cho hoc")),
    Option("internet", N_("Internet used for learning"), ("internet", "mang", "wifi", "4g")),
)

COMMUNITY = (
    Option("often", N_("Often (several times this year)"), ("thuong xuyen", "nhieu lan", "often")),
    Option("sometimes", N_("Sometimes (once or twice)"), ("thinh thoang", "mot hai lan", "1-2 lan", "it")),
    Option("never", N_("Not this year"), ("@no", "chua tham gia", "khong tham gia", "never")),
)

# Every enumerated field a criteria file may test, with the keys it may name.
MEMBER_ENUMS: dict[str, tuple[str, ...]] = {
    "relation": (HEAD, *(c.key for c in RELATIONS)),
    "learning": tuple(c.key for c in LEARNING),
    "activities": tuple(c.key for c in ACTIVITIES),
}
HOUSEHOLD_ENUMS: dict[str, tuple[str, ...]] = {
    "conditions": tuple(c.key for c in CONDITIONS),
    "community": tuple(c.key for c in COMMUNITY),
}


def label_of(choices: tuple[Option, ...], key: str | None) -> str:
    """The English msgid of a key (translate with ``_()``); the key itself when unknown."""
    if key == HEAD:
        return HEAD_LABEL
    return next((c.label for c in choices if c.key == key), key or "")


def campaign_year(now: datetime, timezone: ZoneInfo) -> int:
    """Families declare for the calendar year in local time (the review happens in its last quarter)."""
    return now.astimezone(timezone).year


def age_in(year: int, birth_year: int) -> int:
    """Age reached during the campaign year: what the criteria's age bands are read against."""
    return year - birth_year


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """A member as the criteria see it; None for what was not asked."""

    age: int | None
    relation: str | None
    learning: str | None
    activities: tuple[str, ...] | None
    literate: bool | None

    def get(self, field: str) -> Any:
        return getattr(self, field)


def member_facts(member: dict[str, Any], year: int) -> MemberFacts:
    birth = member.get("y")
    activities = member.get("a")
    return MemberFacts(
        age=age_in(year, int(birth)) if birth is not None else None,
        relation=member.get("r"),
        learning=member.get("l"),
        activities=tuple(activities) if activities is not None else None,
        literate=member.get("lit"),
    )


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    conditions: tuple[str, ...] | None
    community: str | None
    members: int

    def get(self, field: str) -> Any:
        return getattr(self, field)


def household_facts(data: dict[str, Any]) -> HouseholdFacts:
    conditions = data.get("c")
    return HouseholdFacts(
        conditions=tuple(conditions) if conditions is not None else None,
        community=data.get("e"),
        members=len(data.get("m", [])),
    )


DATA_KEYS = ("h", "a", "m", "c", "e", "n", "p")


def household_data(draft: dict[str, Any]) -> dict[str, Any]:
    """The part of a flow draft that is stored as the declaration (no flow bookkeeping)."""
    data = {k: draft[k] for k in DATA_KEYS if k in draft}
    data["v"] = FORM_VERSION
    return data
