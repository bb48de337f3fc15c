"""The delivery worker: sends pending outbox rows through the channels, within their limits.

- Pacing: one token bucket per channel (aiolimiter) for the overall rate, and a minimum gap
  between two messages to the same chat. Telegram's AIORateLimiter does not pace private chats.
- RetryAfter pauses the whole channel for exactly the time the platform asked, and the row is
  tried again then without counting an attempt.
- Unreachable (blocked, chat not found) marks the person unreachable; their pending rows end as
  'unreachable' without being sent. Temporary failures are retried with exponential backoff up to
  ``max_attempts``; permanent failures end as 'failed'.
- Crash safety: a row is committed as 'sending' just before its request and as its final state
  right after. Rows found in 'sending' at start were interrupted: they become 'uncertain' and are
  NOT sent again (no duplicates); reports show them so an officer can resend on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiolimiter import AsyncLimiter

from bot.clock import Clock
from bot.delivery_errors import Deliverer, PermanentFailure, RetryAfter, TemporaryFailure, Unreachable
from storage.outbox import DueMessage
from storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    per_second: float = 25.0  # Telegram allows about 30/s overall for bulk sends
    per_chat_gap: float = 1.0  # about one message per second to the same chat
    in_flight: int = 16  # concurrent requests


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    first_backoff: float = 2.0  # seconds; doubles each attempt
    max_backoff: float = 600.0

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_backoff, self.first_backoff * 2 ** max(0, attempts - 1)))


class _Lane:
    """Per-channel state: the rate bucket, a pause after RetryAfter, the last send per chat."""

    def __init__(self, limits: ChannelLimits) -> None:
        self.limits = limits
        # A bucket of one second's worth keeps bursts small and the long-run rate exact.
        self.bucket = AsyncLimiter(max(1.0, limits.per_second), 1.0) if limits.per_second > 0 else None
        self.paused_until: datetime | None = None
        self.last_sent: dict[str, datetime] = {}
        self.slots = asyncio.Semaphore(limits.in_flight)


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        deliverers: Mapping[str, Deliverer],
        limits: Mapping[str, ChannelLimits] | None = None,
        retry: RetryPolicy | None = None,
        poll_interval: float = 0.5,
        batch_size: int = 200,
    ) -> None:
        self.store = store
        self.clock = clock
        self.deliverers = dict(deliverers)
        self.retry = retry or RetryPolicy()
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._lanes = {name: _Lane((limits or {}).get(name, ChannelLimits())) for name in self.deliverers}
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        async with self.store.write() as tx:
            interrupted = await tx.outbox.recover_interrupted(self.clock.now())
        if interrupted:
            log.warning(
                "delivery: %d message(s) were interrupted while sending; marked uncertain", interrupted
            )
        self._stopping = False
        self._runner = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        """Stop taking rows and let requests in flight finish and be recorded."""
        self._stopping = True
        self._wake.set()
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                started = await self.dispatch_due()
            except Exception:
                log.exception("delivery: dispatch failed")
                started = 0
            if started == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)

    # -- work -------------------------------------------------------------------------------
    async def dispatch_due(self) -> int:
        """Start sending the rows that are due; return how many were started."""
        now = self.clock.now()
        due = await self.store.read.outbox.due(now, limit=self.batch_size + len(self._in_flight))
        started = 0
        for message in due:
            if self._stopping:
                break
            if message.id in self._in_flight:
                continue
            lane = self._lanes.get(message.channel)
            if lane is None:
                continue  # that channel is not running in this process
            if lane.paused_until is not None and lane.paused_until > now:
                continue
            await lane.slots.acquire()
            self._in_flight.add(message.id)
            task = asyncio.create_task(self._send(lane, message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def run_until_idle(self) -> None:
        """Send everything that is due now, and wait for it (tests and the CLI)."""
        while True:
            started = await self.dispatch_due()
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            elif started == 0:
                return

    async def _send(self, lane: _Lane, message: DueMessage) -> None:
        try:
            if not message.reachable:
                await self._finish(message, "unreachable", "the person is unreachable")
                return
            await self._chat_gap(lane, message.chat_id)
            await self._pace(lane)
            async with self.store.write() as tx:
                if not await tx.outbox.mark_sending(message.id):
                    return  # cancelled or taken meanwhile
            deliverer = self.deliverers[message.channel]
            try:
                await deliverer.deliver(message.chat_id, message.reply)
            except RetryAfter as exc:
                await self._retry_after(lane, message, exc)
            except Unreachable as exc:
                await self._unreachable(message, str(exc))
            except PermanentFailure as exc:
                await self._finish(message, "failed", str(exc)[:300])
            except (TemporaryFailure, OSError, TimeoutError) as exc:
                await self._temporary(message, str(exc)[:300] or type(exc).__name__)
            except Exception as exc:  # a bug in an adapter must not stop the worker
                log.exception("delivery: unexpected error from %s", message.channel)
                await self._temporary(message, f"{type(exc).__name__}: {exc}"[:300])
            else:
                lane.last_sent[message.chat_id] = self.clock.now()
                await self._finish(message, "sent", None)
        finally:
            self._in_flight.discard(message.id)
            lane.slots.release()

    async def _pace(self, lane: _Lane) -> None:
        """Wait for the channel's overall rate (the per-chat gap is kept by the caller)."""
        if lane.bucket is not None:
            await lane.bucket.acquire()

    async def _chat_gap(self, lane: _Lane, chat_id: str) -> None:
        """Keep about a second between two messages to the same chat."""
        last = lane.last_sent.get(chat_id)
        if last is None:
            return
        wait = lane.limits.per_chat_gap - (self.clock.now() - last).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _finish(self, message: DueMessage, state: str, error: str | None) -> None:
        async with self.store.write() as tx:
            await tx.outbox.finish(message.id, state, self.clock.now(), error)

    async def _retry_after(self, lane: _Lane, message: DueMessage, exc: RetryAfter) -> None:
        now = self.clock.now()
        until = now + timedelta(seconds=exc.seconds)
        if lane.paused_until is None or until > lane.paused_until:
            lane.paused_until = until
        log.warning("delivery: %s asked to wait %.1fs", message.channel, exc.seconds)
        async with self.store.write() as tx:
            await tx.outbox.retry_at(message.id, until, f"retry after {exc.seconds}s", uncount_attempt=True)

    async def _unreachable(self, message: DueMessage, error: str) -> None:
        now = self.clock.now()
        async with self.store.write() as tx:
            await tx.outbox.finish(message.id, "unreachable", now, error[:300])
            await tx.users.set_reachable(message.user_id, False, now)

    async def _temporary(self, message: DueMessage, error: str) -> None:
        attempts = message.attempts + 1
        async with self.store.write() as tx:
            if attempts >= self.retry.max_attempts:
                await tx.outbox.finish(message.id, "failed", self.clock.now(), error)
            else:
                await tx.outbox.retry_at(message.id, self.clock.now() + self.retry.backoff(attempts), error)
