"""Test helpers: transcripts of a conversation through the real router (console channel)."""

from __future__ import annotations

from bot.channels.base import plain_text
from bot.model import Incoming, Reply
from bot.router import Router


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
