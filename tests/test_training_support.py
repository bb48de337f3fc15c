"""Helpers shared by the training and reminder tests (this module holds no tests itself)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import accounts
from bot.bootstrap import Runtime
from bot.delivery.notify import to_reply
from bot.model import Incoming
from handlers.training import service
from storage.outbox import OutboxRow
from storage.sessions import DEFAULT_OFFSETS, TrainingSession
from storage.users import User

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    """A local (Hà Nội) time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=HANOI).astimezone(UTC)


async def add_person(
    app: Runtime, name: str, area: str = "lien_bao.tdp1", language: str = "vi", channel: str = "console"
) -> User:
    """Someone who accepted the consent notice and chose an area (as onboarding does)."""
    msg = Incoming(channel, name, name, display_name=name.title())
    user = await accounts.accept_consent(app.services, msg, language)
    await accounts.set_home_area(app.services, user, area)
    found = await app.services.store.read.users.by_key(user.key)
    assert found is not None
    return found


async def add_session(
    app: Runtime,
    starts_at: datetime,
    *,
    capacity: int = 60,
    offsets: tuple[int, ...] = DEFAULT_OFFSETS,
    area: str = "lien_bao",
    audience: str = "all",
    title: str = "Tập huấn “Gia đình học tập”",
    place: str = "Nhà văn hóa tổ dân phố 1",
    ref: str | None = None,
) -> TrainingSession:
    return await service.create_session(
        app.services,
        service.SessionInput(
            title=title,
            starts_at=starts_at,
            duration_min=120,
            place=place,
            audience=audience,
            area_id=area,
            capacity=capacity,
            description="",
            reminder_offsets=offsets,
            ext_ref=ref,
        ),
        by="test",
    )


async def outbox(app: Runtime, prefix: str = "") -> list[OutboxRow]:
    return await app.services.store.read.outbox.rows(prefix)


async def outbox_text(app: Runtime, user: User, purpose: str) -> str:
    """The stored text of one outbox message (what the delivery worker will send)."""
    due = await app.services.store.read.outbox.due(datetime(2100, 1, 1, tzinfo=UTC), limit=10_000)
    for message in due:
        if message.user_id == user.id and message.purpose == purpose:
            return to_reply(message).text + "\n" + " ".join(b.payload for b in to_reply(message).flat_buttons)
    raise AssertionError(f"no pending outbox message {purpose!r} for {user.key}")
