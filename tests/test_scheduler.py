"""The kernel scheduler (``bot.scheduler``): features' due work on APScheduler, armed for the earliest
due row, woken by ``services.wake``, rebuilt at start. A small ``DueWork`` over a list of times
stands for a feature's rows."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from bot.bootstrap import Runtime
from bot.clock import Clock, ManualClock
from bot.scheduler import DueWork, Scheduler, next_job_id, sweep_job_id
from bot.services import Services


class Times(DueWork[list[datetime]]):
    """Rows due at ``times``; ``run_due`` takes those due by the clock's now and reports them."""

    def __init__(self, services: Services, times: list[datetime], name: str = "test:times") -> None:
        self.name = name
        self.services = services
        self.times = sorted(times)
        self.ran = asyncio.Event()
        self.runs = 0
        self.fail = False

    async def next_due(self) -> datetime | None:
        return self.times[0] if self.times else None

    async def run_due(self) -> list[datetime]:
        self.runs += 1
        self.ran.set()
        if self.fail:
            raise RuntimeError("the database is away")
        now = self.services.clock.now()
        due = [t for t in self.times if t <= now]
        self.times = [t for t in self.times if t > now]
        return due


async def test_start_rebuilds_runs_what_fell_due_and_arms_the_earliest(
    app: Runtime, clock: ManualClock
) -> None:
    now = clock.now()
    late, soon, missed = now + timedelta(hours=2), now + timedelta(hours=1), now - timedelta(minutes=5)
    scheduler = Scheduler(app.services, misfire_grace_seconds=90)
    work = scheduler.add(Times(app.services, [late, soon, missed]))
    reports = await scheduler.start()
    try:
        assert reports == {"test:times": [missed]}  # what fell due while the bot was down
        assert scheduler.armed_for(work.name) == soon
        jobs = scheduler.jobs()
        assert set(jobs) == {next_job_id("test:times")}  # no sweep asked for
        assert jobs["test:times:next"].misfire_grace_time == 90
        clock.set(soon)
        assert await scheduler.run(work) == [soon]
        assert scheduler.armed_for(work.name) == late
        clock.set(late)
        assert await scheduler.run(work) == [late]
        assert scheduler.armed_for(work.name) is None and scheduler.jobs() == {}  # nothing left to wait for
    finally:
        await scheduler.stop()
    assert not scheduler.running


async def test_a_wake_up_runs_the_work_at_once(app: Runtime, clock: ManualClock) -> None:
    scheduler = Scheduler(app.services)
    work = scheduler.add(Times(app.services, [clock.now() + timedelta(days=1)]))
    await scheduler.start()
    try:
        work.ran.clear()
        work.times.append(clock.now())  # a row written now, due before the time armed
        app.services.wake(work.name)
        async with asyncio.timeout(5):
            await work.ran.wait()
        assert work.times == [clock.now() + timedelta(days=1)]
    finally:
        await scheduler.stop()
    app.services.wake(work.name)  # disconnected: a wake-up after stop is harmless


async def test_a_wake_up_during_a_run_runs_the_work_again(app: Runtime, clock: ManualClock) -> None:
    """The row behind a wake-up may be written after ``next_due()`` looked: it is not lost."""
    scheduler = Scheduler(app.services)
    work = scheduler.add(Times(app.services, []))
    await scheduler.start()
    try:
        next_due, written = work.next_due, []

        async def next_due_then_a_row_is_written() -> datetime | None:
            due = await next_due()  # nothing due…
            if not written:
                written.append(clock.now())
                work.times.append(clock.now())  # …then a row is written and the work woken
                app.services.wake(work.name)
            return due

        work.next_due = next_due_then_a_row_is_written  # type: ignore[method-assign]
        work.ran.clear()
        await scheduler.run(work)
        async with asyncio.timeout(5):
            while work.times:
                work.ran.clear()
                await work.ran.wait()
    finally:
        await scheduler.stop()


async def test_the_timer_fires_at_the_due_time(app: Runtime) -> None:
    services = Services(settings=app.services.settings, store=app.services.store, clock=Clock())
    scheduler = Scheduler(services)
    due = services.clock.now() + timedelta(seconds=0.3)
    work = scheduler.add(Times(services, [due]))
    await scheduler.start()
    try:
        work.ran.clear()
        async with asyncio.timeout(5):
            await work.ran.wait()
        assert work.times == [] and datetime.now(due.tzinfo) >= due
    finally:
        await scheduler.stop()


async def test_sweep_job_and_a_failing_run_that_does_not_stop_the_scheduler(
    app: Runtime, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = Scheduler(app.services)
    work = Times(app.services, [], name="test:swept")
    work.sweep_seconds = 0.05
    scheduler.add(work)
    await scheduler.start()
    try:
        assert set(scheduler.jobs()) == {sweep_job_id("test:swept")}
        work.fail = True
        with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
            async with asyncio.timeout(5):
                for _ in range(2):  # the sweep keeps running after a failure
                    work.ran.clear()
                    await work.ran.wait()
        assert "test:swept: sweep failed" in caplog.text
    finally:
        await scheduler.stop()


def test_work_names_are_unique(app: Runtime) -> None:
    scheduler = Scheduler(app.services)
    scheduler.add(Times(app.services, []))
    with pytest.raises(ValueError, match="test:times"):
        scheduler.add(Times(app.services, []))
