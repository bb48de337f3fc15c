"""Dates, times, durations and reminder offsets typed the Vietnamese way."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.timeparse import WhenError, parse_duration, parse_offsets, parse_when
from tests.test_training_support import HANOI

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=HANOI)  # a Tuesday


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("28/11 8h30", (2026, 11, 28, 8, 30)),
        ("28/11/2026 08:30", (2026, 11, 28, 8, 30)),
        ("8h30 28/11", (2026, 11, 28, 8, 30)),
        ("8 giờ 30 sáng ngày 28/11", (2026, 11, 28, 8, 30)),
        ("8 gio 30 sang ngay 28/11", (2026, 11, 28, 8, 30)),
        ("2 giờ chiều 28-11", (2026, 11, 28, 14, 0)),
        ("7 giờ tối 28.11.2026", (2026, 11, 28, 19, 0)),
        ("1 giờ trưa 28/11", (2026, 11, 28, 13, 0)),
        ("8 giờ rưỡi 28/11", (2026, 11, 28, 8, 30)),
        ("28 tháng 11 7g30", (2026, 11, 28, 7, 30)),
        ("28/11/26 14h", (2026, 11, 28, 14, 0)),
        ("28/11 8.30", (2026, 11, 28, 8, 30)),
        ("10am 28/11", (2026, 11, 28, 10, 0)),
        ("2026-11-28 08:30", (2026, 11, 28, 8, 30)),
        ("mai 8h", (2026, 11, 25, 8, 0)),
        ("sáng mai 8h", (2026, 11, 25, 8, 0)),
        ("thứ bảy 8h", (2026, 11, 28, 8, 0)),
        ("thu 7 14h", (2026, 11, 28, 14, 0)),
        ("chủ nhật 7:30 tối", (2026, 11, 29, 19, 30)),
        ("5/1 8h", (2027, 1, 5, 8, 0)),  # January: next year
    ],
)
def test_when(typed: str, expected: tuple[int, ...]) -> None:
    assert parse_when(typed, NOW) == datetime(*expected, tzinfo=HANOI)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("8h", "no_date"), ("28/11", "no_time"), ("30/2 8h", "bad_date"), ("25h 28/11", "bad_time")],
)
def test_when_problems(typed: str, code: str) -> None:
    with pytest.raises(WhenError) as problem:
        parse_when(typed, NOW)
    assert problem.value.code == code


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("90", 90),
        ("90 phút", 90),
        ("1h30", 90),
        ("1 giờ 30", 90),
        ("1,5 giờ", 90),
        ("2 tiếng", 120),
        ("2", 120),
        ("2h30p", 150),
        ("nửa ngày", 240),
        ("abc", None),
    ],
)
def test_duration(typed: str, minutes: int | None) -> None:
    assert parse_duration(typed) == minutes


@pytest.mark.parametrize(
    ("typed", "offsets"),
    [
        ("1 ngày, 2 giờ", (1440, 120)),
        ("1 ngay 2 gio", (1440, 120)),
        ("24h, 2h", (1440, 120)),
        ("3 ngày, 1 ngày và 2 tiếng", (4320, 1440, 120)),
        ("30 phút", (30,)),
        ("1440,120", (1440, 120)),
        ("không nhắc", ()),
        ("mặc định", (-1,)),
        ("xyz", None),
    ],
)
def test_offsets(typed: str, offsets: tuple[int, ...] | None) -> None:
    assert parse_offsets(typed) == offsets


def test_this_afternoon() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    now = datetime(2026, 11, 24, 9, 0, tzinfo=tz)
    assert parse_when("chiều nay 3h", now) == datetime(2026, 11, 24, 15, 0, tzinfo=tz)
