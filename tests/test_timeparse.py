from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import parse_local_datetime

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("8h30 28/11", datetime(2026, 11, 28, 8, 30, tzinfo=TZ)),
        ("28/11/2026 08:30", datetime(2026, 11, 28, 8, 30, tzinfo=TZ)),
        ("28-11 14:00", datetime(2026, 11, 28, 14, 0, tzinfo=TZ)),
        ("14h mai", datetime(2026, 11, 25, 14, 0, tzinfo=TZ)),
        ("ngày mai 7 giờ 30", datetime(2026, 11, 25, 7, 30, tzinfo=TZ)),
        ("chiều nay 3h", datetime(2026, 11, 24, 15, 0, tzinfo=TZ)),
        ("8h 5/1", datetime(2027, 1, 5, 8, 0, tzinfo=TZ)),  # January: next year
        ("20:00 28/11/26", datetime(2026, 11, 28, 20, 0, tzinfo=TZ)),
    ],
)
def test_typed_dates(typed: str, expected: datetime) -> None:
    assert parse_local_datetime(typed, NOW, TZ) == expected


@pytest.mark.parametrize("typed", ["mai", "28/11", "31/2 8h", "25:00 28/11", "bao gio cung duoc", ""])
def test_incomplete_or_invalid(typed: str) -> None:
    assert parse_local_datetime(typed, NOW, TZ) is None
