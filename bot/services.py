"""What handlers may use: storage, settings and the clock. Built once in ``bot.app``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Settings
from storage.store import Store


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    clock: Clock
    # Per channel, a template for links that open the bot with /start <code>, e.g.
    # "https://t.me/khuyenhoc_bot?start={code}"; filled in by channels when they start.
    deep_links: dict[str, str] = field(default_factory=dict)
    # Set by the delivery worker when it runs: new outbox rows are sent without waiting for a poll.
    wake_delivery: Callable[[], None] = lambda: None
    # Set by the reminder scheduler: look at reminder rows soon (a sign-up just added some).
    wake_reminders: Callable[[], None] = lambda: None

    def invite_link(self, channel: str, code: str) -> str:
        template = self.deep_links.get(channel)
        return template.format(code=code) if template else f"/start {code}"
