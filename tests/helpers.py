"""Test helpers: transcripts of a conversation through the real router (console channel)."""

from __future__ import annotations

import os
from pathlib import Path

from bot.channels.base import plain_text
from bot.model import Incoming, Reply
from bot.router import Router
from bot.services import Services
from handlers.broadcast.service import fan_out
from storage.areas import AreaInput
from storage.broadcasts import Broadcast


class Transcript:
    """Send messages as one person and read what the bot answered, as plain text."""

    def __init__(
        self, router: Router, user_id: str, channel: str = "console", language: str | None = None
    ) -> None:
        self.router = router
        self.user_id = user_id
        self.channel = channel
        self.language = language
        self.replies: list[Reply] = []

    async def send(self, text: str) -> str:
        return await self._handle(
            Incoming(
                self.channel,
                self.user_id,
                self.user_id,
                text=text,
                language=self.language,
                display_name="Nguyễn Văn An",
            )
        )

    async def press(self, payload: str) -> str:
        return await self._handle(
            Incoming(
                self.channel,
                self.user_id,
                self.user_id,
                payload=payload,
                language=self.language,
                display_name="Nguyễn Văn An",
            )
        )

    async def _handle(self, msg: Incoming) -> str:
        self.replies = await self.router.replies_for(msg)
        return "\n".join(plain_text(r) for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [b.payload for r in self.replies for b in r.flat_buttons]

    async def onboard(self, ward_number: int = 1, village_number: int = 1) -> str:
        """Accept consent and choose an area by typed numbers; returns the last answer."""
        await self.send("/start")
        await self.send("1")
        await self.send(str(ward_number))
        await self.send(str(village_number))
        return await self.send("1")


STAMP = "2026-01-01T00:00:00.000000Z"
REPO = Path(__file__).resolve().parent.parent


def bot_environment(database: Path, **settings: str) -> dict[str, str]:
    """The environment of a ``python -m bot`` process in a test: only what the bot needs, so no
    platform settings leak in from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_"))}
    return env | {"DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": str(REPO), **settings}


async def ward_of_telegram_people(services: Services, area_id: str, count: int, first_chat: int) -> None:
    """A ward (a root area) whose ``count`` residents use Telegram: chat ids first_chat, first_chat+1…"""
    async with services.store.write() as tx:
        await tx.areas.upsert_many([AreaInput(area_id, None, "Phường thử", "ward")])
        await tx.conn.execute_many(
            "INSERT INTO users (key, channel, chat_id, display_name, language, area_id, consent_at,"
            " created_at, updated_at) VALUES (?, 'telegram', ?, '', 'vi', ?, ?, ?, ?)",
            [
                (f"telegram:{first_chat + i}", str(first_chat + i), area_id, STAMP, STAMP, STAMP)
                for i in range(count)
            ],
        )


async def announce_now(services: Services, area_id: str, text: str) -> Broadcast:
    """An announcement to everyone in ``area_id``, created and fanned out into the outbox."""
    now = services.clock.now()
    async with services.store.write() as tx:
        broadcast = await tx.broadcasts.create(
            author_id=None,
            author_key="test",
            area_id=area_id,
            audience="area",
            audience_param="",
            text=text,
            attachment_id=None,
            scheduled_at=now,
            now=now,
        )
    await fan_out(services, broadcast)
    return broadcast
