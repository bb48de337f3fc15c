"""Checking what a family types: names, years of birth, phone numbers and notes.

(Choices — one or several — are read by the kernel's one matcher: ``bot.choice``, ``bot.flow``.)

Each function returns the clean value or raises ``Reask`` with a short, polite hint, so the flow
asks the same step again and keeps everything entered so far.
"""

from __future__ import annotations

import re
import unicodedata

from bot.flow import Reask
from bot.i18n import _

NAME_MIN, NAME_MAX = 2, 60
NOTE_MAX = 500
REASON_MIN, REASON_MAX = 5, 500
MAX_AGE = 120


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
