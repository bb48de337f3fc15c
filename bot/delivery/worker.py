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
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiolimiter import AsyncLimiter

from bot.clock import Clock
from bot.delivery.errors import (
    Ambiguous,
    PermanentFailure,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)
from bot.delivery.notify import to_attachment, to_reply
from bot.model import Attachment, Reply
from storage.outbox import DueMessage
from storage.store import Repos, Store

if TYPE_CHECKING:  # the channels import this package: a type-only import keeps the packages acyclic
    from bot.channels.base import Channel

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
        # One token every 1/rate seconds: an even pace with no burst above the configured rate.
        self.bucket = AsyncLimiter(1, 1.0 / limits.per_second) if limits.per_second > 0 else None
        self.paused_until: datetime | None = None
        # The last send per chat, for the per-chat gap: chats idle for longer than the gap are
        # forgotten (``forget_idle``), so a 30,000-person broadcast leaves no 30,000 entries behind.
        self.last_sent: dict[str, datetime] = {}
        self.slots = asyncio.Semaphore(limits.in_flight)
        self._next_sweep: datetime | None = None

    def sent(self, chat_id: str, now: datetime) -> None:
        self.last_sent.pop(chat_id, None)  # re-inserted last: the dict stays in order of sending
        self.last_sent[chat_id] = now
        if self._next_sweep is None or now >= self._next_sweep:
            self.forget_idle(now)

    def forget_idle(self, now: datetime) -> None:
        """Drop the chats whose gap has passed (the oldest come first in the dict)."""
        gap = timedelta(seconds=self.limits.per_chat_gap)
        for chat_id, at in list(self.last_sent.items()):
            if now - at < gap:
                break
            del self.last_sent[chat_id]
        self._next_sweep = now + gap


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        channels: Mapping[str, Channel],
        limits: Mapping[str, ChannelLimits] | None = None,
        retry: RetryPolicy | None = None,
        poll_interval: float = 0.5,
        batch_size: int = 200,
        flush_interval: float = 0.02,
    ) -> None:
        self.store = store
        self.clock = clock
        self.channels = dict(channels)
        self.retry = retry or RetryPolicy()
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._lanes = {name: _Lane((limits or {}).get(name, ChannelLimits())) for name in self.channels}
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = False
        # Outcomes of sends, written together every ``flush_interval`` (one transaction for many
        # rows): a row stays 'sending' until its outcome is written.
        self._outcomes: list[_Outcome] = []
        self.flush_interval = flush_interval
        self._attachments: dict[int, Attachment] = {}

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
        self._flusher = asyncio.create_task(self._flush_loop(), name="delivery-flush")

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
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()

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

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.flush()
            except Exception:
                log.exception("delivery: recording outcomes failed; will retry")

    async def flush(self) -> None:
        """Write the outcomes of finished sends in one transaction."""
        if not self._outcomes:
            return
        batch, self._outcomes = self._outcomes, []
        try:
            async with self.store.write() as tx:
                for outcome in batch:
                    await outcome.apply(tx)
        except BaseException:
            self._outcomes[:0] = batch  # keep them for the next attempt
            raise

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
                # One process serves every configured platform: a row for a platform that is not
                # configured (a token removed) can never be sent. Say so instead of waiting forever.
                self._finish(message, "failed", f"no {message.channel} channel is configured")
                continue
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
            await self.flush()
            if started == 0 and not self._tasks:
                return

    async def _send(self, lane: _Lane, message: DueMessage) -> None:
        try:
            if not message.reachable:
                async with self.store.write() as tx:
                    await tx.outbox.finish(
                        message.id, "unreachable", self.clock.now(), "the person is unreachable"
                    )
                return
            await self._chat_gap(lane, message.chat_id)
            await self._pace(lane)
            async with self.store.write() as tx:  # committed right before the request
                if not await tx.outbox.mark_sending(message.id):
                    return  # cancelled or taken meanwhile
            channel = self.channels[message.channel]
            try:
                await channel.deliver(message.chat_id, await self._with_attachment(message))
            except RetryAfter as exc:
                self._retry_after(lane, message, exc)
            except Unreachable as exc:
                self._finish(message, "unreachable", str(exc)[:300])
            except PermanentFailure as exc:
                self._finish(message, "failed", str(exc)[:300])
            except Ambiguous as exc:
                self._finish(message, "uncertain", str(exc)[:300])
            except (TemporaryFailure, OSError, TimeoutError) as exc:
                self._temporary(message, str(exc)[:300] or type(exc).__name__)
            except Exception as exc:  # a bug in an adapter must not stop the worker
                log.exception("delivery: unexpected error from %s", message.channel)
                self._temporary(message, f"{type(exc).__name__}: {exc}"[:300])
            else:
                lane.sent(message.chat_id, self.clock.now())
                self._finish(message, "sent", None)
        finally:
            self._in_flight.discard(message.id)
            lane.slots.release()

    async def _with_attachment(self, message: DueMessage) -> Reply:
        """The reply with its picture or file; one copy in memory for a whole broadcast."""
        reply = to_reply(message)
        if message.attachment_id is None:
            return reply
        attachment = self._attachments.get(message.attachment_id)
        if attachment is None:
            stored = await self.store.read.outbox.attachment(message.attachment_id)
            if stored is None:
                return reply
            attachment = to_attachment(stored)
            if len(self._attachments) > 32:
                self._attachments.clear()
            self._attachments[message.attachment_id] = attachment
        if message.attachment_kind == "document":
            return dataclasses.replace(reply, document=attachment)
        return dataclasses.replace(reply, photo=attachment)

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

    def _finish(self, message: DueMessage, state: str, error: str | None) -> None:
        self._outcomes.append(_Outcome(message.id, message.user_id, state, self.clock.now(), error))

    def _retry_after(self, lane: _Lane, message: DueMessage, exc: RetryAfter) -> None:
        now = self.clock.now()
        until = now + timedelta(seconds=exc.seconds)
        if lane.paused_until is None or until > lane.paused_until:
            lane.paused_until = until
        log.warning("delivery: %s asked to wait %.1fs", message.channel, exc.seconds)
        self._outcomes.append(
            _Outcome(
                message.id, message.user_id, "pending", until, f"retry after {exc.seconds}s", uncount=True
            )
        )

    def _temporary(self, message: DueMessage, error: str) -> None:
        attempts = message.attempts + 1
        now = self.clock.now()
        if attempts >= self.retry.max_attempts:
            self._finish(message, "failed", error)
        else:
            self._outcomes.append(
                _Outcome(message.id, message.user_id, "pending", now + self.retry.backoff(attempts), error)
            )


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What became of one send, to be written with the others of its flush."""

    row_id: int
    user_id: int
    state: str  # a final state, or "pending" to try again at ``when``
    when: datetime
    error: str | None
    uncount: bool = False

    async def apply(self, tx: Repos) -> None:
        if self.state == "pending":
            await tx.outbox.retry_at(self.row_id, self.when, self.error or "", uncount_attempt=self.uncount)
            return
        await tx.outbox.finish(self.row_id, self.state, self.when, self.error)
        if self.state == "unreachable":
            await tx.users.set_reachable(self.user_id, False, self.when)
