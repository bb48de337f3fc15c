"""The inbox: stored before acknowledged, a repeat recognised, one person's updates in order, the
row marked handled with the handling's own writes, payloads dropped, rows pruned.

Storage tests run on both backends (PostgreSQL when a server answers). The dispatcher is tested
with a handler of our own; the channels' use of it in tests/test_inbox_channels.py.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.inbox import Inbox
from storage.areas import AreaInput
from storage.conversations import ConversationState
from storage.inbox import NewUpdate, handling
from storage.store import Store
from tests.fakes.zalo_api import wait_until

pytest_plugins = ("tests.postgres",)

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with Store(database_url) as opened:
        yield opened


def update(platform_id: str, person: str, text: str = "hi") -> NewUpdate:
    return NewUpdate(platform_id, person, f'{{"text": "{text}"}}')


# -- storage ------------------------------------------------------------------------------------
async def test_a_repeated_platform_id_is_stored_once(store: Store) -> None:
    async with store.write() as tx:
        assert (
            await tx.inbox.add("telegram", [update("1", "telegram:7"), update("2", "telegram:7")], NOW) == 2
        )
    async with store.write() as tx:
        # Delivered again (a platform that timed out), and the same id on another platform.
        assert (
            await tx.inbox.add("telegram", [update("2", "telegram:7"), update("3", "telegram:7")], NOW) == 1
        )
        assert await tx.inbox.add("zalo", [update("2", "zalo:a")], NOW) == 1
    rows = await store.read.inbox.rows()
    assert [(r.platform, r.platform_id) for r in rows] == [
        ("telegram", "1"),
        ("telegram", "2"),
        ("telegram", "3"),
        ("zalo", "2"),
    ]


async def test_pending_rows_in_order_then_handled_without_their_payload(store: Store) -> None:
    async with store.write() as tx:
        await tx.inbox.add(
            "zalo",
            [update("a1", "zalo:a"), update("b1", "zalo:b"), update("a2", "zalo:a"), update("c1", "zalo:c")],
            NOW,
        )
    inbox = store.read.inbox
    assert await inbox.pending_people("zalo", 10) == ["zalo:a", "zalo:b", "zalo:c"]
    assert await inbox.pending_people("zalo", 2) == ["zalo:a", "zalo:b"]
    assert await inbox.pending_people("telegram", 10) == []
    first = await inbox.next_pending("zalo", "zalo:a")
    assert first is not None and first.platform_id == "a1" and first.payload == '{"text": "hi"}'
    backlog = await inbox.backlog("zalo")
    assert backlog.count == 4 and backlog.oldest == NOW
    async with store.write() as tx:
        await tx.inbox.mark_handled(first.id, NOW + timedelta(seconds=1))
    second = await inbox.next_pending("zalo", "zalo:a")
    assert second is not None and second.platform_id == "a2"
    assert (await inbox.backlog("zalo")).count == 3
    handled = [r for r in await inbox.rows("zalo") if r.handled_at is not None]
    assert [(r.platform_id, r.has_payload) for r in handled] == [("a1", False)]  # ids only


async def test_the_row_is_marked_with_the_conversation_state_of_its_turn(store: Store) -> None:
    """Both commit, or neither: a crash between leaves the update to be handled again from the
    state it found; other writes of the turn do not mark it."""
    async with store.write() as tx:
        person = await tx.users.create(
            key="telegram:7", channel="telegram", chat_id="7", display_name="An", language="vi", now=NOW
        )
        await tx.inbox.add("telegram", [update("1", "telegram:7"), update("2", "telegram:7")], NOW)
    first = await store.read.inbox.next_pending("telegram", "telegram:7")
    assert first is not None
    state = ConversationState(flow="declaration", step="head")
    with handling(first.id, NOW) as current:
        async with store.write() as tx:  # a feature's write, then the contact refreshed
            await tx.areas.upsert_many([AreaInput("ward", None, "Phường thử", "ward")])
            await tx.users.touch_contact(person.id, "7", "An Nguyễn", NOW)
        assert not current.marked
        with pytest.raises(RuntimeError):
            async with store.write() as tx:
                await tx.conversations.save(person.id, state, NOW)
                raise RuntimeError("rolled back: neither the state nor the mark")
        assert not current.marked
        assert (await store.read.inbox.next_pending("telegram", "telegram:7")) == first
        assert (await store.read.conversations.load(person.id)).flow is None
        async with store.write() as tx:
            await tx.conversations.save(person.id, state, NOW)
        assert current.marked
    after = await store.read.inbox.next_pending("telegram", "telegram:7")
    assert after is not None and after.platform_id == "2"
    assert (await store.read.conversations.load(person.id)).step == "head"
    # Outside the block, saving a state marks nothing.
    async with store.write() as tx:
        await tx.conversations.save(person.id, ConversationState(), NOW)
    assert (await store.read.inbox.next_pending("telegram", "telegram:7")) == after


async def test_handled_rows_are_pruned_after_the_keep_time(store: Store) -> None:
    async with store.write() as tx:
        await tx.inbox.add(
            "zalo", [update("old", "zalo:a"), update("new", "zalo:a"), update("open", "zalo:b")], NOW
        )
    rows = {r.platform_id: r.id for r in await store.read.inbox.rows()}
    async with store.write() as tx:
        await tx.inbox.mark_handled(rows["old"], NOW)
        await tx.inbox.mark_handled(rows["new"], NOW + timedelta(hours=47))
    async with store.write() as tx:
        assert await tx.inbox.prune(NOW + timedelta(hours=1)) == 1
    assert [r.platform_id for r in await store.read.inbox.rows()] == ["new", "open"]  # never a pending one


async def test_the_conversation_lock_is_one_process_at_a_time(database_url: str) -> None:
    """Two stores on one database stand for two processes."""
    async with Store(database_url) as one, Store(database_url) as two:
        async with one.db.conversation_lock("zalo:a") as first:
            assert first
            async with (
                two.db.conversation_lock("zalo:a") as second,
                two.db.conversation_lock("zalo:b") as other,
            ):
                # SQLite: one process per file (refused at start), so every lock is held.
                assert second is (one.dialect == "sqlite") and other
        async with two.db.conversation_lock("zalo:a") as again:
            assert again


# -- the dispatcher ----------------------------------------------------------------------------
class Recorder:
    """A channel's handler: records what it handled, in which order, and how many at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.handled: dict[str, list[str]] = defaultdict(list)
        self.running: set[str] = set()
        self.most_at_once = 0
        self.overlaps = 0  # one person handled twice at the same time: must stay 0

    async def __call__(self, payload: str) -> None:
        person, _, text = payload.partition("|")
        if person in self.running:
            self.overlaps += 1
        self.running.add(person)
        self.most_at_once = max(self.most_at_once, len(self.running))
        try:
            if self.delay:
                await asyncio.sleep(random.uniform(0, self.delay))
            if text == "boom":
                raise ValueError("a handler failed")
            self.handled[person].append(text)
        finally:
            self.running.discard(person)

    @property
    def total(self) -> int:
        return sum(len(texts) for texts in self.handled.values())


def payload_update(platform_id: str, person: str, text: str) -> NewUpdate:
    return NewUpdate(platform_id, person, f"{person}|{text}")


async def test_one_persons_updates_in_order_people_in_parallel(store: Store) -> None:
    recorder = Recorder(delay=0.01)
    inbox = Inbox(store, ManualClock(NOW), "zalo", recorder, concurrency=4)
    await inbox.start()
    try:
        people = [f"zalo:{n}" for n in range(10)]
        for step in range(6):  # interleaved, in batches, as webhooks would store them
            await inbox.add([payload_update(f"{p}-{step}", p, str(step)) for p in people])
        await wait_until(lambda: recorder.total == 60)
    finally:
        await inbox.stop()
    assert all(recorder.handled[p] == ["0", "1", "2", "3", "4", "5"] for p in people), dict(recorder.handled)
    assert recorder.overlaps == 0
    assert 1 < recorder.most_at_once <= 4
    assert (await inbox.backlog()).count == 0 and inbox.handled == 60
    assert not any(r.has_payload for r in await store.read.inbox.rows())


async def test_rows_stored_before_a_start_are_handled_at_start_and_stop_leaves_the_rest(store: Store) -> None:
    """What a process stored and did not handle before it died is handled by the next one."""
    async with store.write() as tx:
        await tx.inbox.add("telegram", [payload_update(str(n), "telegram:1", str(n)) for n in range(5)], NOW)
    recorder = Recorder()
    inbox = Inbox(store, ManualClock(NOW), "telegram", recorder)
    await inbox.start()
    await wait_until(lambda: recorder.total == 5)
    await inbox.stop()
    assert recorder.handled["telegram:1"] == ["0", "1", "2", "3", "4"]
    # Stored while nothing runs: waits for the next start.
    await inbox.add([payload_update("5", "telegram:1", "5")])
    await asyncio.sleep(0.05)
    assert recorder.total == 5 and (await inbox.backlog()).count == 1


async def test_a_failing_update_is_logged_and_the_persons_next_ones_go_on(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    inbox = Inbox(store, ManualClock(NOW), "zalo", recorder)
    await inbox.start()
    try:
        await inbox.add([payload_update(str(n), "zalo:a", t) for n, t in enumerate(["1", "boom", "3"])])
        await wait_until(lambda: inbox.handled == 3)
    finally:
        await inbox.stop()
    assert recorder.handled["zalo:a"] == ["1", "3"]
    assert "inbox row 2 failed" in caplog.text


async def test_polling_waits_for_room_when_the_backlog_is_full(store: Store) -> None:
    recorder = Recorder()
    inbox = Inbox(store, ManualClock(NOW), "zalo", recorder, max_backlog=3)
    await inbox.add([payload_update(str(n), f"zalo:{n}", "x") for n in range(3)])
    waiting = asyncio.create_task(inbox.wait_for_room())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # full: a poller would not fetch more
    await inbox.start()
    try:
        async with asyncio.timeout(5):
            await waiting
    finally:
        await inbox.stop()


async def test_two_dispatchers_on_one_postgres_database_keep_each_persons_order(postgres_url: str) -> None:
    """Two processes, each storing half of one person's updates (alternating), each dispatching:
    the person is handled by one at a time, every update once, in the order stored."""
    async with Store(postgres_url) as one, Store(postgres_url) as two:
        recorder = Recorder(delay=0.005)  # shared: overlaps across the two would show
        first = Inbox(one, ManualClock(NOW), "telegram", recorder, concurrency=8)
        second = Inbox(two, ManualClock(NOW), "telegram", recorder, concurrency=8)
        await first.start()
        await second.start()
        try:
            people = [f"telegram:{n}" for n in range(6)]
            for step in range(20):
                inbox = first if step % 2 == 0 else second
                await inbox.add([payload_update(f"{p}-{step}", p, str(step)) for p in people])
            await wait_until(lambda: recorder.total == 120)
        finally:
            await first.stop()
            await second.stop()
        assert all(recorder.handled[p] == [str(n) for n in range(20)] for p in people)
        assert recorder.overlaps == 0
        assert first.handled + second.handled == 120


async def test_a_read_after_a_commit_sees_it_while_other_tasks_read(store: Store) -> None:
    """The dispatcher reads a person's next row right after marking the last one handled, while
    other people's tasks read on the same connection: it must never see the row as pending still
    (found as an update handled twice under load, on SQLite)."""
    stop = asyncio.Event()
    async with store.write() as tx:  # rows for them to find: a read that finds none ends at once
        await tx.inbox.add("zalo", [update(f"other-{n}", f"zalo:{n}") for n in range(8)], NOW)

    async def busy_reader(person: str) -> None:
        while not stop.is_set():
            await store.read.inbox.next_pending("zalo", person)

    readers = [asyncio.create_task(busy_reader(f"zalo:{n}")) for n in range(8)]
    try:
        for n in range(60):
            async with store.write() as tx:
                await tx.inbox.add("zalo", [update(str(n), "zalo:me")], NOW)
            row = await store.read.inbox.next_pending("zalo", "zalo:me")
            assert row is not None and row.platform_id == str(n)
            async with store.write() as tx:
                await tx.inbox.mark_handled(row.id, NOW)
            assert await store.read.inbox.next_pending("zalo", "zalo:me") is None, f"stale after {n}"
    finally:
        stop.set()
        await asyncio.gather(*readers)
