"""The inbox: every update a platform sends is stored before it is acknowledged, then handled from
the database (see README, "Receiving").

A channel stores what it receives with ``Inbox.add`` — in one transaction, before it asks
Telegram for the next offset or answers a webhook with 200 — and gets each stored payload back,
once, through the handler it gave. The dispatcher here decides when:

- one person's updates one at a time, in the order they were stored; different people in
  parallel, at most ``concurrency`` at once;
- under that person's conversation lock (``Backend.conversation_lock``), so that when several
  processes share a PostgreSQL database only one of them handles a person at a time, taking the
  person's rows in id order whichever process stored them; a person held elsewhere is tried
  again shortly;
- what was stored and not handled before a crash is handled at the next start;
- a row is marked handled in the transaction that saves the conversation state its turn leads
  to (``storage.inbox``), so after a crash the update and the state agree: handled from the state
  it found, or not again; handled rows lose their payload and are pruned after ``keep``;
- memory stays bounded whatever the backlog: people are read a few at a time and each person's
  rows one by one. Polling channels also wait for room (``wait_for_room``) before fetching more,
  so the platform keeps what we cannot handle yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.clock import Clock
from bot.services import Services
from storage.inbox import Backlog, NewUpdate, PendingUpdate, handling
from storage.store import Store

log = logging.getLogger(__name__)

Handle = Callable[[str], Awaitable[None]]  # the channel's handler of one stored payload

SWEEP_SECONDS = 2.0  # look for rows another process stored and left (it stopped or died)
CONTENDED_SECONDS = 0.1  # a person held by another process is tried again after this
ERROR_SECONDS = 2.0  # after the database failed us
PRUNE_SECONDS = 600.0
STOP_GRACE_SECONDS = 10.0  # at stop, updates being handled may finish within this
ROOM_CHECK_SECONDS = 1.0


class Inbox:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        platform: str,
        handle: Handle,
        *,
        concurrency: int = 16,
        keep: timedelta = timedelta(hours=48),
        max_backlog: int = 1000,
    ) -> None:
        self.store = store
        self.clock = clock
        self.platform = platform
        self.concurrency = concurrency
        self.keep = keep
        self.max_backlog = max_backlog
        self._handle = handle
        self._active: dict[str, asyncio.Task[None]] = {}  # person → the task handling their rows
        self._deferred: dict[str, float] = {}  # person → monotonic time to try again
        self._wakeup = asyncio.Event()
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._queued: list[tuple[Sequence[NewUpdate], asyncio.Future[int]]] = []
        self._committer: asyncio.Task[None] | None = None
        self._stopping = False
        self._full = False
        self.handled = 0  # rows handled and marked by this process (tests wait on it)

    @classmethod
    def configured(cls, services: Services, platform: str, handle: Handle, concurrency: int = 16) -> Inbox:
        """An inbox with the operator's settings (INBOX_KEEP_HOURS, INBOX_MAX_BACKLOG)."""
        settings = services.settings
        return cls(
            services.store,
            services.clock,
            platform,
            handle,
            concurrency=concurrency,
            keep=timedelta(hours=settings.inbox_keep_hours),
            max_backlog=settings.inbox_max_backlog,
        )

    # -- receiving ----------------------------------------------------------------------------
    async def add(self, updates: Sequence[NewUpdate]) -> int:
        """Store updates (a repeat of a stored one is skipped) and have them handled; how many were
        new. Once this returns they are committed: the platform may be told they arrived.

        Updates added while a commit is under way go together in the next one (group commit): a
        burst of webhooks costs a few transactions, not one each, and is answered sooner."""
        if not updates:
            return 0
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queued.append((updates, done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_queued(), name=f"inbox-{self.platform}-store")
        new = await asyncio.shield(done)  # a caller that goes away does not cancel the others' commit
        if new < len(updates):
            log.info("%s: %d update(s) delivered again, not handled twice", self.platform, len(updates) - new)
        return new

    async def _commit_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                counts = []
                async with self.store.write() as tx:
                    await tx.inbox.lock_arrivals(u.person for updates, _done in batch for u in updates)
                    for updates, _done in batch:
                        counts.append(await tx.inbox.add(self.platform, updates, self.clock.now()))
            except BaseException as exc:
                for _updates, done in batch:
                    if not done.done():
                        done.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_updates, done), count in zip(batch, counts, strict=True):
                if not done.done():
                    done.set_result(count)
            if any(counts):
                self._wakeup.set()

    async def backlog(self) -> Backlog:
        return await self.store.read.inbox.backlog(self.platform)

    async def wait_for_room(self) -> None:
        """Return once fewer than ``max_backlog`` updates wait to be handled (polling fetches no
        more before that: the platform keeps them meanwhile)."""
        while (await self.backlog()).count >= self.max_backlog:
            if not self._full:
                log.warning(
                    "%s: %d updates wait to be handled; fetching pauses until fewer do",
                    self.platform,
                    self.max_backlog,
                )
                self._full = True
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(ROOM_CHECK_SECONDS):
                    await self._progress.wait()
        self._full = False

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        waiting = await self.backlog()
        if waiting.count:
            log.info("%s: %d update(s) stored before this start, to handle now", self.platform, waiting.count)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"inbox-{self.platform}")

    async def stop(self) -> None:
        """Stop taking rows; what is being handled may finish (the rest waits for the next start)."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        running = list(self._active.values())
        if running:
            _done, late = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- the dispatcher -----------------------------------------------------------------------
    async def _run(self) -> None:
        next_prune = 0.0
        while not self._stopping:
            self._wakeup.clear()
            delay = SWEEP_SECONDS
            try:
                if time.monotonic() >= next_prune:
                    await self._prune()
                    next_prune = time.monotonic() + PRUNE_SECONDS
                delay = await self._start_people()
            except Exception:
                log.exception("%s: cannot read the inbox", self.platform)
                delay = ERROR_SECONDS
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wakeup.wait()

    async def _start_people(self) -> float:
        """Start a task for each person with rows to handle, as free slots allow; the time until
        the loop should look again at the latest."""
        now = time.monotonic()
        self._deferred = {person: at for person, at in self._deferred.items() if at > now}
        free = self.concurrency - len(self._active)
        if free > 0:
            # Enough people that free slots fill even when some are busy here or held elsewhere.
            limit = self.concurrency + len(self._active) + len(self._deferred)
            for person in await self.store.read.inbox.pending_people(self.platform, limit):
                if free <= 0 or self._stopping:
                    break
                if person in self._active or person in self._deferred:
                    continue
                self._active[person] = asyncio.create_task(self._serve(person))
                free -= 1
        if self._deferred:
            return max(0.0, min(self._deferred.values()) - now)
        return SWEEP_SECONDS

    async def _serve(self, person: str) -> None:
        """Handle this person's rows in order, while no other process does."""
        try:
            async with self.store.db.conversation_lock(person) as held:
                if not held:
                    self._deferred[person] = time.monotonic() + CONTENDED_SECONDS
                    return
                while not self._stopping:
                    row = await self.store.read.inbox.next_pending(self.platform, person)
                    if row is None:
                        break
                    await self._handle_row(row)
        except Exception:
            log.exception("%s: the inbox failed while handling a person's updates", self.platform)
            self._deferred[person] = time.monotonic() + ERROR_SECONDS
        finally:
            self._active.pop(person, None)
            self._wakeup.set()

    async def _handle_row(self, row: PendingUpdate) -> None:
        now = self.clock.now()
        with handling(row.id, now) as current:
            try:
                await self._handle(row.payload)
            except Exception:
                # Not retried: whatever failed may have been half done, and an update that always
                # fails would otherwise hold this person's conversation for ever.
                log.exception("%s: inbox row %d failed while being handled", self.platform, row.id)
        if not current.marked:  # its turn saved no conversation state (a guest), or failed
            async with self.store.write() as tx:
                await tx.inbox.mark_handled(row.id, now)
        self.handled += 1
        self._progress.set()

    async def _prune(self) -> None:
        async with self.store.write() as tx:
            pruned = await tx.inbox.prune(self.clock.now() - self.keep)
        if pruned:
            log.debug("%s: pruned %d handled inbox rows", self.platform, pruned)
