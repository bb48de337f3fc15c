"""Checking what a family types: names, years of birth, phone numbers, notes and choices.

Each function returns the clean value or raises ``Reask`` with a short, polite hint, so the flow
asks the same step again and keeps everything entered so far.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.context import Answer
from bot.flow import Reask
from bot.i18n import _
from bot.text import fold
from handlers.declaration.model import Choice

NAME_MIN, NAME_MAX = 2, 60
NOTE_MAX = 500
REASON_MIN, REASON_MAX = 5, 500
MAX_AGE = 120
NONE_WORDS = frozenset(
    {"khong", "ko", "k", "khong co", "khong co gi", "chua", "chua co", "none", "no", "nothing", "0"}
)
SKIP_WORDS = frozenset({"bo qua", "khong", "ko", "k", "khong co", "skip", "no", "none", "-"})
_SPLIT = re.compile(r"\s*(?:,|;|\+|\bva\b|\band\b)\s*")
_NUMBERS = re.compile(r"^[\d\s,;.+-]+$")


def clean_name(text: str) -> str:
    """A person's name: letters (Vietnamese included) and single spaces, 2–60 characters."""
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if not name:
        raise Reask(_("Please type the full name, for example: Nguyễn Văn An."))
    if any(c.isdigit() for c in name):
        raise Reask(_("A name should not contain digits. Please type the full name, e.g. Nguyễn Văn An."))
    if not all(c.isalpha() or c == " " for c in name):
        raise Reask(_("Please use only letters and spaces in the name, e.g. Nguyễn Văn An."))
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise Reask(
            _("A name should be {low} to {high} characters long. Please type it again.").format(
                low=NAME_MIN, high=NAME_MAX
            )
        )
    if name == name.lower() or name == name.upper():
        name = " ".join(word[:1].upper() + word[1:].lower() for word in name.split(" "))
    return name


def birth_year(text: str, year: int, *, min_age: int = 0) -> int:
    """A four-digit year of birth giving an age between ``min_age`` and 120 in the campaign year."""
    digits = re.findall(r"\d+", text)
    if len(digits) != 1 or len(digits[0]) != 4:
        raise Reask(_("Please type the year of birth with four digits, for example 1985."))
    born = int(digits[0])
    low, high = year - MAX_AGE, year - min_age
    if not low <= born <= high:
        raise Reask(
            _("The year {born} does not look right: please type a year between {low} and {high}.").format(
                born=born, low=low, high=high
            )
        )
    return born


def phone_number(text: str) -> str:
    """A Vietnamese phone number, written 0xxxxxxxxx (mobile 10 digits, landline 11)."""
    compact = re.sub(r"[\s.\-()]", "", text)
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    elif compact.startswith("84") and len(compact) in (11, 12):
        compact = "0" + compact[2:]
    if not re.fullmatch(r"0\d{9,10}", compact):
        raise Reask(_("That does not look like a phone number. Please type it like 0912 345 678."))
    return compact


def note_text(text: str) -> str:
    note = re.sub(r"[ \t]+", " ", unicodedata.normalize("NFC", text)).strip()
    if len(note) > NOTE_MAX:
        raise Reask(
            _("The note is too long ({length} characters). Please keep it under {limit}.").format(
                length=len(note), limit=NOTE_MAX
            )
        )
    return note


def reason_text(text: str) -> str:
    reason = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise Reask(
            _("Please write a reason of {low} to {high} characters so the family knows what to fix.").format(
                low=REASON_MIN, high=REASON_MAX
            )
        )
    return reason


def _by_words(part: str, choices: Sequence[Choice]) -> Choice | None:
    """The choice a typed word or phrase names: its label, an alias, or a unique part of a label."""
    labels = [(c, fold(_(c.label))) for c in choices]
    exact = [c for c, label in labels if label == part]
    if len(exact) == 1:
        return exact[0]
    aliased = [c for c in choices if part in c.aliases]
    if len(aliased) == 1:
        return aliased[0]
    partial = [c for c, label in labels if part in label]
    if len(partial) == 1:
        return partial[0]
    # Last, a longer alias among the words ("đọc sách hằng ngày"); short ones like "có" would
    # turn "có lẽ" into a yes.
    padded = f" {part} "
    near = [c for c in choices if any(len(a) >= 4 and f" {a} " in padded for a in c.aliases)]
    return near[0] if len(near) == 1 else None


def choose(step: str, answer: Answer, choices: Sequence[Choice]) -> Choice | None:
    """One choice: by button (or its typed number, mapped by the router), its words or an alias."""
    if answer.payload is not None:
        prefix = f"{step}:"
        if not answer.payload.startswith(prefix):
            return None
        key = answer.payload[len(prefix) :]
        return next((c for c in choices if c.key == key), None)
    text = answer.folded.strip(" .!)")
    if not text:
        return None
    if text.isdigit():
        index = int(text) - 1
        return choices[index] if 0 <= index < len(choices) else None
    return _by_words(text, choices)


def several(text: str, choices: Sequence[Choice]) -> list[str] | None:
    """Keys named in a typed answer like "1 3 4", "1, 3 và 4", "đọc sách, học trực tuyến" or "không".

    Returns None when some part cannot be understood; an empty list for "none".
    """
    folded = fold(text).strip(" .!")
    if folded in NONE_WORDS:
        return []
    if _NUMBERS.match(_SPLIT.sub(" ", folded)):
        keys: list[str] = []
        for number in re.findall(r"\d+", folded):
            index = int(number) - 1
            if not 0 <= index < len(choices):
                return None
            if choices[index].key not in keys:
                keys.append(choices[index].key)
        return keys or None
    keys = []
    for part in (p for p in _SPLIT.split(folded) if p):
        choice = _by_words(part, choices)
        if choice is None:
            return None
        if choice.key not in keys:
            keys.append(choice.key)
    return keys or None
