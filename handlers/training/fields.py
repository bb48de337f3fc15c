"""Checks for the fields of a session, shared by the chat flow and the schedule import.

Each check returns the clean value or raises ``FieldError`` whose message is an English msgid:
the chat translates it, the command line prints it as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_, _
from bot.text import fold, is_number, normalize_nfc
from bot.timeparse import WhenError, parse_duration, parse_offsets, parse_when
from storage.sessions import DEFAULT_OFFSETS

TITLE_LIMITS = (3, 200)
PLACE_LIMITS = (3, 300)
DESCRIPTION_MAX = 1000
CAPACITY_LIMITS = (1, 5000)
DURATION_LIMITS = (15, 720)  # minutes
OFFSET_LIMITS = (10, 14 * 1440)  # minutes before the start
MAX_OFFSETS = 4
MIN_LEAD = timedelta(minutes=30)  # a new time must be at least this far ahead
MAX_AHEAD = timedelta(days=400)
AUDIENCE_WORDS = {
    "family": ("family", "families", "gia dinh", "ho gia dinh", "phu huynh"),
    "officer": ("officer", "officers", "can bo", "can bo khuyen hoc"),
    "all": ("all", "everyone", "tat ca", "moi nguoi", "ca hai"),
}
_WHEN_HINTS = {
    "no_date": N_("I could not find the date. Please write it like 28/11 8h30."),
    "no_time": N_("Please add the time, for example 28/11 8h30 or 8h30 28/11."),
    "bad_date": N_("That date does not exist. Please check the day and month, e.g. 28/11."),
    "bad_time": N_("That time does not exist. Please write it like 8h30 or 14:00."),
}


class FieldError(ValueError):
    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params

    def text(self) -> str:
        """In the current language."""
        return _(self.message).format(**self.params)


def _clean(text: str) -> str:
    return " ".join(normalize_nfc(text).split())


def check_title(text: str) -> str:
    title = _clean(text)
    low, high = TITLE_LIMITS
    if not low <= len(title) <= high:
        raise FieldError(N_("The title should be {low} to {high} characters long."), low=low, high=high)
    return title


def check_place(text: str) -> str:
    place = _clean(text)
    low, high = PLACE_LIMITS
    if not low <= len(place) <= high:
        raise FieldError(N_("The place should be {low} to {high} characters long."), low=low, high=high)
    return place


def check_description(text: str) -> str:
    description = normalize_nfc(text).strip()
    if len(description) > DESCRIPTION_MAX:
        raise FieldError(N_("The description may be at most {high} characters long."), high=DESCRIPTION_MAX)
    return description


def check_start(value: str | datetime, now: datetime, tz: ZoneInfo, *, allow_past: bool = False) -> datetime:
    """The start as an aware UTC time, from typed text or a datetime (naive = local)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=tz)
    else:
        try:
            moment = parse_when(value, now.astimezone(tz))
        except WhenError as problem:
            raise FieldError(_WHEN_HINTS[problem.code]) from None
    moment = moment.astimezone(UTC)
    if not allow_past and moment < now + MIN_LEAD:
        raise FieldError(N_("That time has already passed or is too close. Please give a later time."))
    if moment > now + MAX_AHEAD:
        raise FieldError(N_("That is more than a year ahead. Please check the year."))
    return moment


def check_duration(value: str | int) -> int:
    minutes = value if isinstance(value, int) else parse_duration(value)
    low, high = DURATION_LIMITS
    if minutes is None:
        raise FieldError(N_("Please write the duration like 90 phút, 2 giờ or 1h30."))
    if not low <= minutes <= high:
        raise FieldError(
            N_("The duration should be between {low} minutes and {high} hours."), low=low, high=high // 60
        )
    return minutes


def check_capacity(value: str | int) -> int:
    if isinstance(value, int):
        number = value
    else:
        digits = "".join(c for c in value if is_number(c))
        if not digits or len(digits) > 6:
            raise FieldError(N_("Please write the number of places as a number, e.g. 60."))
        number = int(digits)
    low, high = CAPACITY_LIMITS
    if not low <= number <= high:
        raise FieldError(N_("The number of places should be between {low} and {high}."), low=low, high=high)
    return number


def check_offsets(value: str | list[int] | tuple[int, ...]) -> tuple[int, ...]:
    offsets = tuple(value) if not isinstance(value, str) else parse_offsets(value)
    if offsets is None:
        raise FieldError(N_("Please write the reminder times like “1 ngày, 2 giờ”, or “không” for none."))
    if offsets == (-1,):
        return DEFAULT_OFFSETS
    low, high = OFFSET_LIMITS
    if len(offsets) > MAX_OFFSETS or any(not low <= o <= high for o in offsets):
        raise FieldError(
            N_("At most {count} reminders, each between {low} minutes and {days} days before the start."),
            count=MAX_OFFSETS,
            low=low,
            days=high // 1440,
        )
    return tuple(sorted(set(offsets), reverse=True))


def check_audience(text: str) -> str:
    folded = fold(text).strip(" .")
    for audience, words in AUDIENCE_WORDS.items():
        if folded in words:
            return audience
    raise FieldError(N_("The audience must be families, officers or everyone."))
