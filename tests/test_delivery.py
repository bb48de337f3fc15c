"""The delivery worker against a recording platform stand-in (the platform lies outside the machine)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from bot.bootstrap import Runtime
from bot.delivery.errors import (
    DeliveryError,
    PermanentFailure,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)
from bot.delivery.notify import notify
from bot.delivery.worker import ChannelLimits, DeliveryWorker, RetryPolicy
from bot.model import Reply
from storage.users import User


class RecordingPlatform:
    """Stands in for Telegram's servers: records deliveries, fails as scripted per chat."""

    name = "console"

    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()
        self.script: dict[str, list[DeliveryError]] = {}

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        errors = self.script.get(chat_id)
        if errors:
            raise errors.pop(0)
        self.delivered[chat_id] += 1


async def make_people(app: Runtime, count: int) -> list[User]:
    now = app.services.clock.now()
    people = []
    async with app.services.store.write() as tx:
        for i in range(count):
            people.append(
                await tx.users.create(
                    key=f"console:p{i}",
                    channel="console",
                    chat_id=f"p{i}",
                    display_name="",
                    language="vi",
                    now=now,
                )
            )
    return people


def worker_for(app: Runtime, platform: RecordingPlatform) -> DeliveryWorker:
    return DeliveryWorker(
        app.services.store,
        app.services.clock,
        {"console": platform},
        {"console": ChannelLimits(per_second=0, per_chat_gap=0, in_flight=8)},
        RetryPolicy(max_attempts=3, first_backoff=10),
    )


async def enqueue_all(app: Runtime, people: list[User], purpose: str) -> int:
    created = 0
    async with app.services.store.write() as tx:
        for person in people:
            created += await notify(tx, person, purpose, lambda: Reply("Thông báo"), app.services.clock.now())
    return created


async def test_each_person_gets_a_purpose_once(app: Runtime) -> None:
    people = await make_people(app, 5)
    assert await enqueue_all(app, people, "news:1") == 5
    assert await enqueue_all(app, people, "news:1") == 0  # same reason again: nothing new
    platform = RecordingPlatform()
    worker = worker_for(app, platform)
    await worker.run_until_idle()
    await worker.run_until_idle()
    assert platform.delivered == Counter({f"p{i}": 1 for i in range(5)})


async def test_failures_end_in_the_right_final_states(app: Runtime) -> None:
    people = await make_people(app, 4)
    platform = RecordingPlatform()
    platform.script = {
        "p0": [RetryAfter(7)],
        "p1": [Unreachable("Forbidden: bot was blocked by the user")],
        "p2": [TemporaryFailure("500"), TemporaryFailure("500"), TemporaryFailure("500")],
        "p3": [PermanentFailure("Bad Request: message is too long")],
    }
    await enqueue_all(app, people, "news:2")
    worker = worker_for(app, platform)
    clock = app.services.clock
    await worker.run_until_idle()
    rows = {r.user_id: r for r in await app.services.store.read.outbox.rows("news:2")}
    assert rows[people[0].id].state == "pending"  # waits exactly as told, not counted as an attempt
    assert rows[people[0].id].next_attempt_at == clock.now() + timedelta(seconds=7)
    assert rows[people[0].id].attempts == 0
    assert rows[people[1].id].state == "unreachable"
    assert rows[people[3].id].state == "failed"
    assert not (await app.services.store.read.users.by_id(people[1].id)).reachable

    clock.advance(timedelta(seconds=6))
    await worker.run_until_idle()
    assert platform.delivered["p0"] == 0  # not a second early
    for _ in range(6):
        clock.advance(timedelta(minutes=5))
        await worker.run_until_idle()
    rows = {r.user_id: r for r in await app.services.store.read.outbox.rows("news:2")}
    assert rows[people[0].id].state == "sent" and platform.delivered["p0"] == 1
    assert rows[people[2].id].state == "failed" and rows[people[2].id].attempts == 3


async def test_unreachable_people_are_not_tried_again(app: Runtime) -> None:
    people = await make_people(app, 1)
    platform = RecordingPlatform()
    platform.script = {"p0": [Unreachable("chat not found")]}
    worker = worker_for(app, platform)
    await enqueue_all(app, people, "a")
    await worker.run_until_idle()
    await enqueue_all(app, people, "b")
    await worker.run_until_idle()
    states = [r.state for r in await app.services.store.read.outbox.rows("")]
    assert states == ["unreachable", "unreachable"]
    assert platform.delivered["p0"] == 0


async def test_interrupted_rows_become_uncertain_not_resent(app: Runtime) -> None:
    people = await make_people(app, 2)
    await enqueue_all(app, people, "news:3")
    rows = await app.services.store.read.outbox.rows("news:3")
    async with app.services.store.write() as tx:  # as if the process died mid-request
        await tx.outbox.mark_sending(rows[0].id)
    platform = RecordingPlatform()
    worker = worker_for(app, platform)
    await worker.start()
    await worker.run_until_idle()
    await worker.stop()
    states = {r.user_id: r.state for r in await app.services.store.read.outbox.rows("news:3")}
    assert states == {people[0].id: "uncertain", people[1].id: "sent"}
    assert platform.delivered == Counter({"p1": 1})
