"""Times are stored as fixed-width UTC text, so they sort and compare as strings."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: store only aware times")
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def opt_from_db(text: str | None) -> datetime | None:
    return from_db(text) if text else None
