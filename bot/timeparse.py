"""Reading dates, times and durations as Vietnamese people type them.

"28/11 8h30", "8 giờ 30 sáng ngày 28/11", "28/11/2026 08:30", "2 giờ chiều 28-11", "mai 8h";
durations "90 phút", "1h30", "2 tiếng", "nửa ngày"; reminder offsets "1 ngày, 2 giờ".
Accents are optional: everything is matched on the folded text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.text import fold


class WhenError(ValueError):
    """Why a date/time could not be read: "no_date", "no_time", "bad_date" or "bad_time"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](\d{1,2}):(\d{2}))?")
_DMY = re.compile(r"(?<![\d:])(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{4}|\d{2}))?(?![\d:])")
_WORDS_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*thang\s*(\d{1,2})(?:\s*(?:nam\s*)?(\d{4}))?")
_TIME = re.compile(
    r"(?<![\d/])(\d{1,2})\s*(?:(?::|\.|gio|h|g)\s*(\d{1,2}|ruoi)?)\s*(?:p|phut|')?(?![\d/])"
    r"|(?<![\d/])(\d{1,2})\s*(am|pm)\b"
)
_RELATIVE = (("hom nay", 0), ("ngay mai", 1), ("ngay kia", 2), ("mai", 1), ("nay", 0))  # "chiều nay"
_WEEKDAYS = (
    (r"thu (?:hai|2)", 0),
    (r"thu (?:ba|3)", 1),
    (r"thu (?:tu|4)", 2),
    (r"thu (?:nam|5)", 3),
    (r"thu (?:sau|6)", 4),
    (r"thu (?:bay|7)", 5),
    (r"chu nhat|cn", 6),
)
_AFTERNOON = ("chieu", "toi", "dem", "pm")
_NOON = ("trua",)


def parse_when(text: str, now_local: datetime) -> datetime:
    """A local date and time (aware, in ``now_local``'s zone); raises ``WhenError``.

    Without a year, the date is this year's, or next year's when this year's is more than a
    month past (typing "5/1" in November means next January).
    """
    folded = fold(text)
    day, rest = _find_date(folded, now_local)
    moment = _find_time(rest)
    return datetime.combine(day, moment, tzinfo=now_local.tzinfo)


def _find_date(folded: str, now_local: datetime) -> tuple[date, str]:
    iso = _ISO.search(folded)
    if iso:
        year, month, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
        rest = folded[: iso.start()] + " " + folded[iso.end() :]
        if iso.group(4) is not None:
            rest += f" {iso.group(4)}:{iso.group(5)}"
        return _make_date(year, month, day), rest
    for pattern in (_WORDS_DATE, _DMY):
        found = pattern.search(folded)
        if found:
            day, month = int(found.group(1)), int(found.group(2))
            year_text = found.group(3)
            rest = folded[: found.start()] + " " + folded[found.end() :]
            if year_text:
                year = int(year_text)
                year = year + 2000 if year < 100 else year
                return _make_date(year, month, day), rest
            guess = _make_date(now_local.year, month, day)
            if guess < now_local.date() - timedelta(days=31):
                guess = _make_date(now_local.year + 1, month, day)
            return guess, rest
    for words, days in _RELATIVE:
        found = re.search(rf"\b{words}\b", folded)
        if found:
            rest = folded[: found.start()] + " " + folded[found.end() :]
            return now_local.date() + timedelta(days=days), rest
    for words, weekday in _WEEKDAYS:  # "thứ bảy 8h": the coming Saturday (today counts)
        found = re.search(rf"\b(?:{words})\b", folded)
        if found:
            rest = folded[: found.start()] + " " + folded[found.end() :]
            ahead = (weekday - now_local.weekday()) % 7
            return now_local.date() + timedelta(days=ahead), rest
    raise WhenError("no_date")


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError("bad_date") from None


def _find_time(rest: str) -> time:
    found = _TIME.search(rest)
    if not found:
        raise WhenError("no_time")
    if found.group(3) is not None:
        hour, minute, period = int(found.group(3)), 0, found.group(4)
    else:
        hour = int(found.group(1))
        minutes_text = found.group(2)
        minute = 30 if minutes_text == "ruoi" else int(minutes_text or 0)
        period = next((w for w in (*_AFTERNOON, *_NOON, "sang", "am") if re.search(rf"\b{w}\b", rest)), None)
    if period in _AFTERNOON and hour < 12:
        hour += 12
    elif period in _NOON and hour < 6:  # "1 giờ trưa" is 13:00
        hour += 12
    elif period == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise WhenError("bad_time")
    return time(hour, minute)


_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(gio|g|h|tieng|hours?|phut|p|m|mins?|minutes?)?")


def parse_duration(text: str) -> int | None:
    """Minutes, or None. A bare number up to 12 means hours ("2"), above it minutes ("90")."""
    folded = fold(text).strip()
    if "nua ngay" in folded:
        return 240
    if "ca ngay" in folded:
        return 480
    total = 0.0
    found_any = False
    parts = list(_DURATION_PART.finditer(folded))
    for index, part in enumerate(parts):
        value = float(part.group(1).replace(",", "."))
        unit = part.group(2)
        if unit in ("gio", "g", "h", "tieng", "hour", "hours"):
            total += value * 60
        elif unit in ("phut", "p", "m", "min", "mins", "minute", "minutes"):
            total += value
        elif index > 0:  # "1h30": a bare number after hours is minutes
            total += value
        else:
            total += value * 60 if value <= 12 else value
        found_any = True
    if not found_any or total <= 0:
        return None
    return round(total)


_OFFSET_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(ngay|ng|d|days?|gio|g|h|tieng|hours?|phut|p|m|mins?|minutes?)\b"
)
_NONE_WORDS = ("khong", "ko", "none", "no", "tat")
_DEFAULT_WORDS = ("mac dinh", "default")


def parse_offsets(text: str) -> tuple[int, ...] | None:
    """Reminder offsets in minutes, largest first; () for "không nhắc"; None if unreadable.

    "mặc định" is returned as the tuple ``(-1,)``: the caller substitutes its default.
    """
    folded = fold(text).strip(" .")
    if any(folded.startswith(w) for w in _DEFAULT_WORDS):
        return (-1,)
    if folded.split(" ")[0] in _NONE_WORDS:
        return ()
    minutes: set[int] = set()
    for part in _OFFSET_PART.finditer(folded):
        value = float(part.group(1).replace(",", "."))
        unit = part.group(2)
        if unit in ("ngay", "ng", "d", "day", "days"):
            minutes.add(round(value * 1440))
        elif unit in ("gio", "g", "h", "tieng", "hour", "hours"):
            minutes.add(round(value * 60))
        else:
            minutes.add(round(value))
    if not minutes:
        # Plain numbers are minutes (the CLI writes "1440,120").
        numbers = re.findall(r"\d+", folded)
        if numbers and re.fullmatch(r"[\d\s,;]+", folded):
            minutes = {int(n) for n in numbers}
    if not minutes:
        return None
    return tuple(sorted(minutes, reverse=True))
