"""The leader lease: exactly one process runs the delivery worker and the scheduler.

Several bot processes may serve one PostgreSQL database behind a webhook. Each one answers the
people who write to it, but only the process holding the lease (``storage.locks.LEADER``, an
advisory lock; an flock on SQLite) sends the outbox, fires reminders and fans out scheduled
announcements. That is what keeps the platform's bulk rate across processes (one sender, paced by
its own limiter) and what keeps the scheduler's work from running twice.

Every ``interval`` seconds the leader checks that its lock is still held (its database session
answers) and the others try to take it. Meanwhile the leader listens on its lease: a wake-up
raised in another process (an announcement set for later was stored there, a sign-up planned a
reminder) is told to the leader (``Backend.tell_holder``) and raised again in the leader.

When the leader dies, PostgreSQL ends its session and releases the lock: another process takes
over at its next try, within ``interval`` seconds. Its delivery worker starts as after a crash:
rows the dead leader left 'sending' become 'uncertain' (never sent again), everything still
'pending' is sent. A leader that loses its session while it runs stops its worker and scheduler
and becomes a follower.

The lease makes duplicates unlikely; the rows make them impossible: a message is sent only after
a transaction moved its row from 'pending' to 'sending', a reminder is decided on rows locked FOR
UPDATE, an announcement is fanned out once per broadcast row. So even two leaders at once (a
leader cut off from the database that has not noticed yet) send nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage.locks import SessionLock

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 2.0  # seconds between checks of the lease (LEADER_CHECK_SECONDS)


class Leadership:
    """Runs ``lead()`` when this process takes the lease and ``follow()`` when it loses it."""

    def __init__(
        self,
        lease: SessionLock,
        lead: Callable[[], Awaitable[None]],
        follow: Callable[[], Awaitable[None]],
        interval: float = DEFAULT_INTERVAL,
        told: Callable[[str], None] | None = None,
    ) -> None:
        self.lease = lease
        self._lead = lead
        self._follow = follow
        self._told = told  # what other processes tell the leader (wake-up names)
        self.interval = interval
        self.leading = False
        self.changes = 0  # times this process became the leader (tests, logs)
        self._watch: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> bool:
        """Try the lease once now (a lone process leads from its first moment), then keep trying
        or checking in the background. True when this process leads."""
        await self._step()
        self._watch = asyncio.create_task(self._run(), name="leader-lease")
        return self.leading

    async def stop(self) -> None:
        """Stop following or leading (the worker and scheduler stop), then release the lease."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        try:
            if self.leading:
                await self._step_down()
        finally:
            await self.lease.release()

    async def wait_change(self) -> bool:
        """Wait until this process starts or stops leading (tests); the new state."""
        self._changed.clear()
        await self._changed.wait()
        return self.leading

    async def _run(self) -> None:
        while True:
            if self.leading:
                # Between two checks the leader listens: other processes tell it about rows they
                # wrote that its worker or scheduler should act on now.
                for message in await self.lease.wait(self.interval):
                    if self._told is not None:
                        self._told(message)
            else:
                await asyncio.sleep(self.interval)
            try:
                await self._step()
            except Exception:  # the database is down: try again at the next interval
                log.exception("leader lease: check failed; trying again in %.0f s", self.interval)

    async def _step(self) -> None:
        if self.leading:
            if not await self.lease.held():
                log.warning("leader lease lost: stopping the delivery worker and the scheduler")
                await self._step_down()
            return
        try:
            acquired = await self.lease.try_acquire()
        except Exception:
            log.warning("leader lease: cannot reach the database to take the lease", exc_info=True)
            return
        if acquired:
            log.info("leader lease taken: this process sends the outbox and runs the scheduler")
            self.leading = True
            self.changes += 1
            try:
                await self._lead()
            except BaseException:
                await self._step_down()
                raise
            self._changed.set()

    async def _step_down(self) -> None:
        self.leading = False
        try:
            await self._follow()
        finally:
            await self.lease.release()  # a new try takes a fresh session
            self._changed.set()
