"""The leader lease inside one test process: two runtimes on one database, each with its own
connections (to the database they are two processes). One sends the outbox and runs the
scheduler; when it stops, the other takes over. Run on SQLite (a file lock) and on PostgreSQL
(an advisory lock). The same with real processes and a ``kill -9``: tests/test_multiprocess.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.bootstrap import background, open_runtime
from bot.clock import Clock
from bot.config import Settings
from bot.context import Person
from bot.delivery.worker import ChannelLimits
from bot.demo import seed_demo
from bot.leader import Leadership
from bot.model import Reply
from handlers.broadcast.service import SCHEDULED, Audience, create
from storage.locks import LEADER
from tests.helpers import announce_now, ward_of_telegram_people

pytest_plugins = ("tests.postgres",)


class Platform:
    name = "telegram"

    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        self.delivered[chat_id] += 1


def settings_for(database_url: str, tmp_path: Path) -> Settings:
    base = Settings(database_path=tmp_path / "unused.db", leader_check_seconds=0.1)
    if database_url.startswith("sqlite:///"):
        return replace(base, database_path=Path(database_url.removeprefix("sqlite:///")))
    return replace(base, postgres_url=database_url)


async def test_one_process_leads_and_another_takes_over_when_it_stops(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path)
    limits = {"telegram": ChannelLimits(per_second=0, per_chat_gap=0)}
    first, second = Platform(), Platform()
    async with open_runtime(settings, Clock()) as one, open_runtime(settings, Clock()) as two:
        await ward_of_telegram_people(one.services, "ward", 20, 1000)
        leading = background(one, {"telegram": first}, limits)
        await leading.__aenter__()
        try:
            async with background(two, {"telegram": second}, limits):
                assert one.worker is not None and one.scheduler is not None
                assert two.worker is None and two.scheduler is None  # a follower: nothing runs
                assert two.leadership is not None and not two.leadership.leading
                await announce_now(one.services, "ward", "Lần một")
                async with asyncio.timeout(10):
                    while sum(first.delivered.values()) < 20:  # noqa: ASYNC110 - another runtime's work
                        await asyncio.sleep(0.02)
                assert sum(second.delivered.values()) == 0

                changed = asyncio.ensure_future(two.leadership.wait_change())
                await leading.__aexit__(None, None, None)  # the leader stops: its lease is free
                async with asyncio.timeout(5):
                    assert await changed
                assert two.worker is not None and two.scheduler is not None
                await announce_now(two.services, "ward", "Lần hai")
                async with asyncio.timeout(10):
                    while sum(second.delivered.values()) < 20:  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
        finally:
            if one.leadership is not None:
                await leading.__aexit__(None, None, None)
    assert set(first.delivered.values()) == {1} and set(second.delivered.values()) == {1}


async def test_a_leader_that_loses_its_lease_stops_sending(database_url: str, tmp_path: Path) -> None:
    """Its lock gone (the database session cut, seen at the next check), a leader stops its worker
    and scheduler and tries to lead again, like any follower."""
    settings = settings_for(database_url, tmp_path)
    async with open_runtime(settings, Clock()) as app:
        async with background(app, {"telegram": Platform()}):
            leadership = app.leadership
            assert isinstance(leadership, Leadership) and leadership.leading and app.worker is not None
            rival = app.services.store.db.session_lock(LEADER)
            lost = asyncio.ensure_future(leadership.wait_change())
            await leadership.lease.release()  # what a cut session looks like from inside
            assert await rival.try_acquire()
            async with asyncio.timeout(5):
                assert not await lost
            assert app.worker is None and app.scheduler is None
            regained = asyncio.ensure_future(leadership.wait_change())
            await rival.release()
            async with asyncio.timeout(5):
                assert await regained
            assert app.worker is not None and leadership.changes == 2


async def test_a_wake_up_raised_in_a_follower_reaches_the_leader(postgres_url: str, tmp_path: Path) -> None:
    """An announcement set for later, stored through the process that does not lead: the leader's
    scheduler is told at once (NOTIFY on its lease) and sends it at its time, not at its next
    sweep a minute later."""
    settings = settings_for(postgres_url, tmp_path)
    limits = {"telegram": ChannelLimits(per_second=0, per_chat_gap=0)}
    leader_platform = Platform()
    async with open_runtime(settings, Clock()) as one, open_runtime(settings, Clock()) as two:
        await seed_demo(one.services)
        await ward_of_telegram_people(one.services, "ward", 3, 1000)
        admin = Person("console:admin", "console", "admin", "", "vi", is_admin=True)
        admin.user = await one.services.store.read.users.by_key("console:admin")
        async with background(one, {"telegram": leader_platform}, limits), background(two, {}, limits):
            assert one.scheduler is not None and two.scheduler is None
            when = two.services.clock.now() + timedelta(seconds=1)
            await create(two.services, admin, Audience("everyone", None), "Họp tổng kết năm học.", when)
            async with asyncio.timeout(2):
                while one.scheduler.armed_for(SCHEDULED) is None:  # noqa: ASYNC110 - another runtime
                    await asyncio.sleep(0.02)
            async with asyncio.timeout(10):  # the sweep would take 60 s
                while sum(leader_platform.delivered.values()) < 3:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
