"""What features may use: storage, settings, the clock, wake-up calls and deep links.

Built once by the composition root (``bot.bootstrap``) and never changed afterwards: background
workers and channels that start later connect to the ``Wakeups`` and ``DeepLinks`` objects it
holds instead of patching fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Settings
from storage.store import Store

log = logging.getLogger(__name__)

DELIVERY = "delivery"  # the delivery worker: new outbox rows to send


class Wakeups:
    """Named wake-up calls. A background worker connects while it runs; callers never wait and
    never fail when nothing is connected (a CLI command, a test without workers)."""

    def __init__(self) -> None:
        self._callbacks: dict[str, Callable[[], None]] = {}

    def connect(self, name: str, callback: Callable[[], None]) -> None:
        self._callbacks[name] = callback

    def disconnect(self, name: str) -> None:
        self._callbacks.pop(name, None)

    def __call__(self, name: str) -> None:
        callback = self._callbacks.get(name)
        if callback is not None:
            callback()


class DeepLinks:
    """Per channel, a template for links that open the bot with ``/start <code>``, e.g.
    ``https://t.me/khuyenhoc_bot?start={code}``; a channel sets its own once it knows its name."""

    def __init__(self) -> None:
        self._templates: dict[str, str] = {}

    def set(self, channel: str, template: str) -> None:
        self._templates[channel] = template

    def link(self, channel: str, code: str) -> str:
        template = self._templates.get(channel)
        return template.format(code=code) if template else f"/start {code}"


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: Store
    clock: Clock
    wakeups: Wakeups = field(default_factory=Wakeups)
    deep_links: DeepLinks = field(default_factory=DeepLinks)

    def wake_delivery(self) -> None:
        """New outbox rows: send them now rather than at the worker's next poll."""
        self.wakeups(DELIVERY)

    def wake(self, name: str) -> None:
        self.wakeups(name)

    def invite_link(self, channel: str, code: str) -> str:
        return self.deep_links.link(channel, code)
