"""What features may use: storage, settings, the clock, wake-up calls, deep links, status lines.

Built once by the composition root (``bot.bootstrap``) and never changed afterwards: background
workers and channels that start later connect to the ``Wakeups``, ``DeepLinks`` and
``StatusLines`` objects it holds instead of patching fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.clock import Clock
from bot.config import Settings
from storage.store import Store

if TYPE_CHECKING:  # the channels import this module: a type-only import keeps the kernel acyclic
    from bot.channels.base import Channel

log = logging.getLogger(__name__)

DELIVERY = "delivery"  # the delivery worker: new outbox rows to send


class Wakeups:
    """Named wake-up calls. A background worker connects while it runs; callers never wait and
    never fail when nothing is connected (a CLI command, a test without workers).

    In a process that does not lead (several processes on one database), the delivery worker and
    the scheduler run elsewhere: a wake-up with nothing connected here goes to ``forward``, which
    tells the leader (``bot.bootstrap.background``)."""

    def __init__(self) -> None:
        self._callbacks: dict[str, Callable[[], None]] = {}
        self._forward: Callable[[str], None] | None = None

    def connect(self, name: str, callback: Callable[[], None]) -> None:
        self._callbacks[name] = callback

    def disconnect(self, name: str) -> None:
        self._callbacks.pop(name, None)

    def forward_to(self, forward: Callable[[str], None] | None) -> None:
        self._forward = forward

    def __call__(self, name: str) -> None:
        callback = self._callbacks.get(name)
        if callback is not None:
            callback()
        elif self._forward is not None:
            self._forward(name)

    def here(self, name: str) -> None:
        """Only what is connected in this process (a wake-up that came from another process)."""
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


class StatusLines:
    """A line the bot keeps current for one person, e.g. a broadcast's progress for its author.

    Features address it by channel name and chat id and never see a channel: the running channels
    connect here. Where the channel cannot keep such a line, or does not run in this process,
    ``post`` returns None and nothing is shown (the outbox still carries what must arrive)."""

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def connect(self, channel: Channel) -> None:
        self._channels[channel.name] = channel

    def disconnect(self, name: str) -> None:
        self._channels.pop(name, None)

    async def post(self, channel: str, chat_id: str, text: str) -> str | None:
        """Show a new status line; returns its reference for ``edit``, or None."""
        target = self._channels.get(channel)
        return None if target is None else await target.post_status(chat_id, text)

    async def edit(self, channel: str, chat_id: str, ref: str, text: str) -> None:
        target = self._channels.get(channel)
        if target is not None:
            await target.edit_status(chat_id, ref, text)


MenuEntries = list[tuple[str, str]]  # (command, description), in the person's language


@runtime_checkable
class ChatMenu(Protocol):
    """A channel that can give one chat a command menu of its own (Telegram)."""

    name: str

    def set_chat_menu(self, chat_id: str, commands: MenuEntries | None) -> None:
        """Show ``commands`` as this chat's menu (None: back to the default menu); must not
        block (the channel sends it in the background and logs a failure)."""
        ...


class ChatMenus:
    """Per-person command menus (officers see theirs). The router says what a chat's menu should
    be; a running channel that can show it does (``ChatMenu``), others ignore it."""

    def __init__(self) -> None:
        self._channels: dict[str, ChatMenu] = {}

    def connect(self, channel: object) -> None:
        if isinstance(channel, ChatMenu):
            self._channels[channel.name] = channel

    def disconnect(self, name: str) -> None:
        self._channels.pop(name, None)

    def update(self, channel: str, chat_id: str, commands: MenuEntries | None) -> None:
        target = self._channels.get(channel)
        if target is None:
            return
        try:
            target.set_chat_menu(chat_id, commands)
        except Exception:  # a menu is a convenience: never let it break a conversation
            log.exception("could not set the command menu of a chat on %s", channel)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: Store
    clock: Clock
    wakeups: Wakeups = field(default_factory=Wakeups)
    deep_links: DeepLinks = field(default_factory=DeepLinks)
    status: StatusLines = field(default_factory=StatusLines)
    menus: ChatMenus = field(default_factory=ChatMenus)

    def wake_delivery(self) -> None:
        """New outbox rows: send them now rather than at the worker's next poll."""
        self.wakeups(DELIVERY)

    def wake(self, name: str) -> None:
        self.wakeups(name)

    def invite_link(self, channel: str, code: str) -> str:
        return self.deep_links.link(channel, code)
