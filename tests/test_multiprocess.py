"""Two real bot processes on one PostgreSQL database, in webhook mode against the fake Bot API.

- Sign-ups pressed at the same moment in both processes never overbook a session.
- Exactly one process (the leader) sends the outbox: the bulk rate holds across processes, and
  when the leader is killed mid-broadcast the other takes over within seconds, with no message
  sent twice and none lost silently (rows in flight at the kill end 'uncertain', as after a crash).
- A second process polling the same bot token is refused with one line (on SQLite too).

Skipped, with the reason in the summary, when no PostgreSQL server answers (tests/postgres.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.bootstrap import open_runtime
from bot.config import Settings
from bot.demo import seed_demo
from tests.bot_processes import (
    BotProcess,
    callback_update,
    free_port,
    leader_name,
    post_update,
    webhook_environment,
)
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.helpers import announce_now, bot_environment, ward_of_telegram_people
from tests.test_training_support import add_session

pytest_plugins = ("tests.fakes.fixtures", "tests.postgres")

LEADER_CHECK = "0.5"  # seconds: a quick takeover keeps the test short


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    """Processes a test starts; whatever is still running at the end is stopped."""
    started: list[BotProcess] = []
    yield started
    for process in started:
        if process.process is not None and process.process.returncode is None:
            await process.stop()


async def two_bots(
    database_url: str, api: FakeTelegram, folder: Path, started: list[BotProcess], **settings: str
) -> tuple[BotProcess, BotProcess]:
    bots = []
    for name in ("bot-a", "bot-b"):
        port = free_port()
        env = webhook_environment(
            database_url, api.base_url, TOKEN, port, name, LEADER_CHECK_SECONDS=LEADER_CHECK, **settings
        )
        bots.append(await BotProcess(name, folder, env, port).start())
        started.append(bots[-1])
    await asyncio.gather(*(bot.wait_healthy() for bot in bots))
    return bots[0], bots[1]


async def test_sign_ups_pressed_in_both_processes_never_overbook(
    postgres_url: str, telegram_api: FakeTelegram, tmp_path: Path, processes: list[BotProcess]
) -> None:
    people = 50
    async with open_runtime(Settings(postgres_url=postgres_url)) as app:
        await seed_demo(app.services)
        await ward_of_telegram_people(app.services, "ward", people, 700_000)
        session = await add_session(app, datetime.now(UTC) + timedelta(days=3), capacity=20, area="ward")
    one, two = await two_bots(postgres_url, telegram_api, tmp_path, processes)

    bot_user = telegram_api.bot_user
    async with aiohttp.ClientSession() as http:
        statuses = await asyncio.gather(
            *(
                post_update(
                    http,
                    (one, two)[i % 2].port or 0,
                    callback_update(i + 1, 700_000 + i, f"tr:s:{session.id}", bot_user),
                )
                for i in range(people)
            )
        )
    assert set(statuses) == {200}

    async with open_runtime(Settings(postgres_url=postgres_url)) as app:
        signups = app.services.store.read.sessions.signups

        async def signed_up() -> int:
            return await signups.count(session.id, "confirmed") + await signups.count(session.id, "waiting")

        async with asyncio.timeout(60):
            while await signed_up() < people:  # noqa: ASYNC110 - the processes write the database
                await asyncio.sleep(0.1)
        assert await signups.count(session.id, "confirmed") == 20
        assert await signups.count(session.id, "waiting") == 30
    # Everyone was answered, by whichever process took their press.
    await telegram_api.wait_until(
        lambda: all(telegram_api.texts(700_000 + i) for i in range(people)), within=30, what="every answer"
    )
    assert "Conflict" not in one.output() + two.output()


async def test_killing_the_leader_mid_broadcast_neither_duplicates_nor_loses(
    postgres_url: str, telegram_api: FakeTelegram, tmp_path: Path, processes: list[BotProcess]
) -> None:
    recipients, first_chat = 300, 800_000
    # 60/s overall: the outbox gets 80 %, 48 messages a second, whichever process sends them.
    one, two = await two_bots(postgres_url, telegram_api, tmp_path, processes, TELEGRAM_RATE="60")
    by_name = {bot.name: bot for bot in (one, two)}
    leader_at_start = await leader_name(postgres_url)
    assert leader_at_start in by_name
    leader = by_name[leader_at_start]
    follower = two if leader is one else one

    async with open_runtime(Settings(postgres_url=postgres_url)) as app:
        await ward_of_telegram_people(app.services, "ward", recipients, first_chat)
        broadcast = await announce_now(app.services, "ward", "Mời các gia đình dự lễ công nhận.")
        deliveries = telegram_api.deliveries
        await telegram_api.wait_until(
            lambda: deliveries.total() >= recipients // 3, within=60, what="a third delivered"
        )
        leader.kill()
        killed_at = time.perf_counter()
        await leader.stop()
        at_kill = deliveries.total()
        assert at_kill < recipients, "the broadcast finished before the kill; make it slower"

        store = app.services.store.read

        async def settled() -> bool:
            counts = await store.outbox.batch_counts(broadcast.batch)
            return not counts.get("pending") and not counts.get("sending")

        async with asyncio.timeout(60):
            while not await settled():  # noqa: ASYNC110 - the other process writes the database
                await asyncio.sleep(0.1)
        rows = await store.outbox.rows(broadcast.batch)
        chat_of = {row.user_id: (await store.users.by_id(row.user_id)).chat_id for row in rows}  # type: ignore[union-attr]
        assert await leader_name(postgres_url) == follower.name

    sends = [c for c in telegram_api.calls if c.method == "sendMessage" and c.ok and c.chat_id]
    after_kill = [c.at for c in sends if c.at > killed_at]
    takeover = after_kill[0] - killed_at if after_kill else None
    duplicates = {chat: n for chat, n in deliveries.items() if n > 1}
    uncertain = [r for r in rows if r.state == "uncertain"]
    gaps = [r for r in rows if r.state != "uncertain" and deliveries[chat_of[r.user_id]] != 1]
    print(
        f"killed {leader.name} after {at_kill} deliveries; {follower.name} sent again after "
        f"{takeover:.2f} s; {len(uncertain)} uncertain rows"
        if takeover is not None
        else "nothing sent after the kill"
    )
    assert duplicates == {}
    assert gaps == [], "every row not flagged uncertain reached its person exactly once"
    assert all(r.state in ("sent", "uncertain") for r in rows)
    assert len(uncertain) <= 16  # at most what was in flight at the kill (16 requests at a time)
    assert takeover is not None and takeover < 5  # LEADER_CHECK_SECONDS=0.5, a poll of 0.5 s
    assert "leader lease taken" in follower.output()

    # The bulk rate across both processes: 48 a second. Counted over two-second windows where the
    # requests arrive, so that a busy machine bunching a few arrivals together is not taken for
    # a second sender (two senders would put about 190 in such a window).
    times = sorted(c.at for c in sends if int(c.chat_id or 0) >= first_chat)
    busiest = max(sum(1 for t in times[i:] if t < start + 2.0) for i, start in enumerate(times))
    assert busiest <= 2 * 48 * 1.15, f"{busiest} sends in two seconds"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_second_polling_process_is_refused_with_one_line(
    backend: str,
    telegram_api: FakeTelegram,
    tmp_path: Path,
    processes: list[BotProcess],
    request: pytest.FixtureRequest,
) -> None:
    env = bot_environment(
        tmp_path / "bot.db", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=telegram_api.base_url
    )
    if backend == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    first = await BotProcess("first", tmp_path, env, None).start()
    processes.append(first)
    # Polling: a getUpdates has arrived (it is answered only when its long poll ends).
    await telegram_api.wait_until(
        lambda: any(c.method == "getUpdates" for c in telegram_api.calls), within=60, what="polling"
    )
    second = await BotProcess("second", tmp_path, env, None).start()
    processes.append(second)
    assert await second.exited() == 1
    lines = [line for line in second.output().splitlines() if line.startswith("start-up error")]
    assert len(lines) == 1, second.output()
    if backend == "postgresql":
        assert "another bot process is already polling Telegram" in lines[0]
        assert "TELEGRAM_WEBHOOK_URL" in lines[0]
    else:  # one process per SQLite file, whatever it does: refused before polling is even tried
        assert "one SQLite file serves one process" in lines[0] and "PostgreSQL" in lines[0]
    assert first.process is not None and first.process.returncode is None  # the first one polls on
