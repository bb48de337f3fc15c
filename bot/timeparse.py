"""Dates and times typed the way people in Vietnam write them: "8h30 28/11", "28/11/2026 08:30",
"14:00 mai", "chieu nay 3h"."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.text import fold

_DATE = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2,4}))?\b")
_TIME = re.compile(r"\b(\d{1,2})\s*(?:[:h]|gio)\s*(\d{2})?\b|\b(\d{1,2})\s*(?:h|gio)\b")
_AFTERNOON = ("chieu", "toi", "pm")


def parse_local_datetime(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """An aware datetime in ``tz`` for what was typed, or None when it is not a full date and time.

    Without a year, the next such date is meant; "mai" is tomorrow, "nay"/"hom nay" today,
    "chiều"/"tối" after noon.
    """
    raw = fold(text).replace("phut", "")
    today = now.astimezone(tz).date()
    day: date | None = None
    date_match = _DATE.search(raw)
    if date_match:
        d, m, y = date_match.groups()
        year = int(y) + (2000 if y and len(y) == 2 else 0) if y else today.year
        try:
            day = date(year, int(m), int(d))
        except ValueError:
            return None
        if not y and day < today:
            day = date(year + 1, int(m), int(d))
        raw = raw[: date_match.start()] + " " + raw[date_match.end() :]
    elif re.search(r"\b(ngay )?mai\b", raw):
        day = today + timedelta(days=1)
    elif re.search(r"\b(hom )?nay\b", raw):
        day = today
    time_match = _TIME.search(raw)
    if day is None or time_match is None:
        return None
    hour = int(time_match.group(1) or time_match.group(3))
    minute = int(time_match.group(2) or 0)
    if any(word in raw for word in _AFTERNOON) and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(day, time(hour, minute), tz)
