"""Announcements as due work on the kernel scheduler (``bot.scheduler``).

- ``broadcast:scheduled``: an announcement set for a later time is fanned out into the outbox
  when its time comes (the scheduler is armed for the earliest one).
- ``broadcast:progress``: while an announcement is sending, every ``interval`` seconds the
  author's progress line is brought up to date, and once every row has reached a final state
  the broadcast is closed and the final report queued for its author. Nothing runs while no
  announcement is sending; a fan-out or a resend wakes it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot import i18n
from bot.scheduler import DueWork
from bot.services import Services
from handlers.broadcast.service import (
    PROGRESS,
    SCHEDULED,
    delivered_total,
    fan_out,
    finish_if_complete,
    progress_text,
)
from storage.broadcasts import Broadcast

log = logging.getLogger(__name__)


class ScheduledBroadcasts(DueWork[int]):
    """Fans out the announcements that have fallen due; reports how many messages were queued."""

    name = SCHEDULED
    sweep_seconds = 60.0  # picks up a broadcast stored where no wake-up reached this process

    def __init__(self, services: Services) -> None:
        self.services = services

    async def next_due(self) -> datetime | None:
        waiting = await self.services.store.read.broadcasts.in_state("scheduled")
        return min((b.scheduled_at for b in waiting), default=None)

    async def run_due(self) -> int:
        queued = 0
        for due in await self.services.store.read.broadcasts.due(self.services.clock.now()):
            queued += await fan_out(self.services, due)
        return queued


class BroadcastProgress(DueWork[int]):
    """Progress lines and final reports of the announcements being sent; reports how many finished."""

    name = PROGRESS
    sweep_seconds = 30.0  # picks up a broadcast that started sending in another process

    def __init__(self, services: Services, interval: float = 2.0) -> None:
        self.services = services
        self.interval = interval
        # broadcast id → (the author's channel, chat, status line reference, count last shown)
        self._status: dict[int, tuple[str, str, str | None, int]] = {}

    async def next_due(self) -> datetime | None:
        if not await self.services.store.read.broadcasts.in_state("sending"):
            return None
        return self.services.clock.now() + timedelta(seconds=self.interval)

    async def run_due(self) -> int:
        finished = 0
        for broadcast in await self.services.store.read.broadcasts.in_state("sending"):
            if await finish_if_complete(self.services, broadcast):
                self._status.pop(broadcast.id, None)
                finished += 1
                continue
            await self._show_progress(broadcast)
        return finished

    async def _show_progress(self, broadcast: Broadcast) -> None:
        """One status line for the author, edited in place where the channel can."""
        if broadcast.author_id is None:
            return
        store = self.services.store.read
        author = await store.users.by_id(broadcast.author_id)
        if author is None:
            return
        counts = await store.outbox.batch_counts(broadcast.batch)
        done = sum(n for state, n in counts.items() if state not in ("pending", "sending"))
        channel, chat, ref, last = self._status.get(broadcast.id, (author.channel, author.chat_id, None, -1))
        if done == last:
            return
        with i18n.use(author.language):
            text = progress_text(done, delivered_total(counts))
        status = self.services.status
        try:
            if ref is None:
                ref = await status.post(channel, chat, text)
            else:
                await status.edit(channel, chat, ref, text)
        except Exception as exc:  # progress is a courtesy; the final report still comes
            log.info("broadcast progress not shown: %s", exc)
        self._status[broadcast.id] = (channel, chat, ref, done)
