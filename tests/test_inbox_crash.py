"""``kill -9`` with a backlog of updates fetched or acknowledged and not handled yet: after a
restart every update is handled exactly once (issue 17: 28 and 44 of 60 sign-up taps were lost).

The bot is a real process (``python -m bot run``) killed while it works through 60 people's
updates — sign up, cancel, sign up again — and started again on the same database:

- Telegram polling: everything was fetched and confirmed (the fake's queue is empty) before the
  kill, so Telegram will not send it again; only the inbox has it.
- Telegram webhook: the fake posts updates in order and sends again what got no 2xx (a POST cut
  by the kill), as Telegram does; the restarted process recognises what it had stored.
- Zalo webhook: the test is the platform; after the restart it sends again what was not
  answered 200, and a few that were (a platform that timed out).

Exactly once is checked on what the handling wrote — 120 sign-up and 60 cancellation events,
one confirmed place each, every inbox row handled — and on the answers: each person's come in
order, at most one per update. An update is marked handled with the conversation state its turn
saves, and answered after that. So an update cut by the kill before its state was saved is
handled again from the state it found (it was not answered yet); if its sign-up or cancellation
had committed just before (a transaction of its own, before the state), the second run finds it
done and says so ("you are already signed up", "you are not signed up"): counted as re-runs,
never a second effect. An update cut after its state was saved is not handled again; its answer
may be lost (at most one per person being handled: 16).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.bootstrap import open_runtime
from bot.config import Settings
from tests.fakes.telegram_api import BotMessage, FakeTelegram, Fault
from tests.fakes.zalo_api import FakeZaloApi
from tests.helpers import STAMP, bot_environment
from tests.test_training_support import add_session
from tests.test_webhook import TELEGRAM_SECRET, ZALO_SECRET, free_port

pytest_plugins = ("tests.fakes.fixtures",)

PEOPLE = 60
FIRST_TELEGRAM_ID = 1001  # the fake's first new_user
SIGNED = "Bạn đã đăng ký buổi"
CANCELLED = "Đã hủy đăng ký buổi"
ALREADY = "rồi."  # "you are already signed up for …": a sign-up that ran again
NOT_SIGNED_UP = "Bạn chưa đăng ký buổi tập huấn đó"  # a cancellation that ran again
REPLY_DELAY = 0.1  # seconds the fake takes to answer each sendMessage: a backlog builds up
KILL_AFTER = 40  # replies delivered before the kill (of 180)
ZALO_HEADER = "X-Bot-Api-Secret-Token"


async def prepare(database: Path, channel: str, user_ids: list[str]) -> int:
    """People of one ward on ``channel``, consented, and a session in 10 days with room for all."""
    from storage.areas import AreaInput

    async with open_runtime(Settings(database_path=database)) as app:
        async with app.services.store.write() as tx:
            await tx.areas.upsert_many([AreaInput("crash", None, "Phường thử", "ward")])
            await tx.conn.execute_many(
                "INSERT INTO users (key, channel, chat_id, display_name, language, area_id, consent_at,"
                " created_at, updated_at) VALUES (?, ?, ?, 'Bình', 'vi', 'crash', ?, ?, ?)",
                [(f"{channel}:{u}", channel, u, STAMP, STAMP, STAMP) for u in user_ids],
            )
        starts = datetime.now(UTC) + timedelta(days=10)
        session = await add_session(app, starts, capacity=PEOPLE, area="crash", title="Tập huấn")
        return session.id


async def start_bot(database: Path, cwd: Path, **settings: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=bot_environment(database, **settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def kill_9(process: asyncio.subprocess.Process) -> None:
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()


async def backlog(database: Path, platform: str) -> int:
    """Updates stored and not handled: what only the inbox still has."""
    async with open_runtime(Settings(database_path=database)) as app:
        return (await app.services.store.read.inbox.backlog(platform)).count


async def until(condition: Callable[[], Any], within: float, what: str) -> None:
    """Wait for another process's work (there is no event to wait on across processes)."""
    deadline = time.monotonic() + within
    while not await _value(condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {within} s")
        await asyncio.sleep(0.05)


async def _value(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


async def drain_and_stop(process: asyncio.subprocess.Process, database: Path) -> str:
    """Wait until the inbox holds nothing unhandled, stop the bot (SIGTERM: what it is handling
    finishes), and return its log."""
    async with open_runtime(Settings(database_path=database)) as app:
        inbox = app.services.store.read.inbox

        async def drained() -> bool:
            rows = await inbox.rows()
            return len(rows) >= 3 * PEOPLE and all(r.handled_at is not None for r in rows)

        try:
            await until(drained, 90, "drained inbox")
        finally:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                _out, err = await process.communicate()
    log = err.decode()
    assert process.returncode == 0, log
    return log


async def check_exactly_once(database: Path, session_id: int, replies: dict[str, list[str]]) -> str:
    """Effects once each, answers never twice nor out of order; a summary line."""
    async with open_runtime(Settings(database_path=database)) as app:
        store = app.services.store.read
        signups = await store.events.count("training.signup")
        cancels = await store.events.count("training.cancel")
        rows = await store.inbox.rows()
        confirmed = 0
        for key in replies:
            user = await store.users.by_key(key)
            assert user is not None
            signup = await store.sessions.signups.get(session_id, user.id)
            confirmed += signup is not None and signup.status == "confirmed"
    assert (signups, cancels, confirmed) == (2 * PEOPLE, PEOPLE, PEOPLE)
    assert len(rows) == 3 * PEOPLE and not any(r.has_payload for r in rows)
    missing, reruns = check_answers(replies, [SIGNED, CANCELLED, SIGNED])
    return (
        f"{len(rows)} updates, each handled once; {missing} answer(s) cut by the kill, "
        f"{reruns} update(s) run again from the state they found"
    )


def kind_of(text: str) -> tuple[str, bool]:
    """What an answer says, and whether it comes from an update run again after the kill."""
    if SIGNED in text:
        return SIGNED, ALREADY in text
    if NOT_SIGNED_UP in text:
        return CANCELLED, True
    if CANCELLED in text:
        return CANCELLED, False
    if "Hủy đăng ký buổi" in text:
        return "confirm", False
    if "Vẫn còn chỗ" in text:
        return "session", False
    return text, False


def check_answers(replies: dict[str, list[str]], expected: list[str]) -> tuple[int, int]:
    """Each person's answers: in order, at most one per update (the expected ones, some perhaps
    left out). Returns (answers missing, answers from re-runs)."""
    missing = reruns = 0
    for key, texts in replies.items():
        position = 0
        for text in texts:
            kind, rerun = kind_of(text)
            assert kind in expected[position:], (key, texts)
            position = expected.index(kind, position) + 1
            reruns += rerun
        missing += len(expected) - len(texts)
    assert missing <= 16, f"{missing} answers missing: more than were in flight at the kill"
    return missing, reruns


# -- Telegram ------------------------------------------------------------------------------------
def push_taps(api: FakeTelegram, session_id: int) -> list[str]:
    """Every person's three taps, interleaved across people, queued at the fake."""
    users = [api.new_user(f"Người {n}") for n in range(PEOPLE)]
    assert users[0].id == FIRST_TELEGRAM_ID
    for data in (f"tr:s:{session_id}", f"tr:cy:{session_id}", f"tr:s:{session_id}"):
        for user in users:
            shown = BotMessage(str(user.id), 1, "text", "Lịch tập huấn", None, None, int(time.time()))
            api.push_callback(user, data, shown)
    return [f"telegram:{u.id}" for u in users]


def telegram_replies(api: FakeTelegram, keys: list[str]) -> dict[str, list[str]]:
    return {key: api.texts(key.split(":")[1]) for key in keys}


def slow_replies(delay: float) -> Callable[[Any], Fault | None]:
    return lambda call: Fault.slow(delay) if call.method == "sendMessage" else None


async def test_telegram_polling_kill_9_with_a_fetched_backlog(
    tmp_path: Path, telegram_api: FakeTelegram
) -> None:
    database = tmp_path / "bot.db"
    ids = [str(FIRST_TELEGRAM_ID + n) for n in range(PEOPLE)]
    session_id = await prepare(database, "telegram", ids)
    keys = push_taps(telegram_api, session_id)
    telegram_api.policy = slow_replies(REPLY_DELAY)
    env = {
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_BASE_URL": telegram_api.base_url,
        "TELEGRAM_RATE": "1000",
    }

    first = await start_bot(database, tmp_path, **env)
    await telegram_api.wait_until(
        lambda: telegram_api.queued == 0 and telegram_api.deliveries.total() >= KILL_AFTER,
        within=60,
        what="the backlog fetched and confirmed, and some answers",
    )
    await kill_9(first)
    at_kill = telegram_api.deliveries.total()
    assert at_kill < 3 * PEOPLE, "everything was handled before the kill; make it slower"
    assert telegram_api.queued == 0  # Telegram considers every update delivered
    left = await backlog(database, "telegram")
    assert left > 0

    second = await start_bot(database, tmp_path, **env)
    log = await drain_and_stop(second, database)
    assert "stored before this start, to handle now" in log
    summary = await check_exactly_once(database, session_id, telegram_replies(telegram_api, keys))
    print(f"telegram polling: killed after {at_kill} answers with {left} stored, unhandled; {summary}")


async def test_telegram_webhook_kill_9_with_a_stored_backlog(
    tmp_path: Path, telegram_api: FakeTelegram
) -> None:
    database = tmp_path / "bot.db"
    ids = [str(FIRST_TELEGRAM_ID + n) for n in range(PEOPLE)]
    session_id = await prepare(database, "telegram", ids)
    # Slower answers than for polling: the fake posts one update at a time, each answered once
    # stored, and handling shares the bot's one event loop with that.
    telegram_api.policy = slow_replies(5 * REPLY_DELAY)
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_BASE_URL": telegram_api.base_url,
        "TELEGRAM_RATE": "1000",
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/hooks/telegram",
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "WEBHOOK_PORT": str(port),
    }
    first = await start_bot(database, tmp_path, **env)
    await telegram_api.wait_until(lambda: telegram_api.webhook is not None, within=60, what="a webhook")
    keys = push_taps(telegram_api, session_id)  # posted to the bot one by one, in order
    await telegram_api.wait_until(
        lambda: telegram_api.deliveries.total() >= KILL_AFTER, within=60, what="some answers"
    )
    await kill_9(first)
    at_kill = telegram_api.deliveries.total()
    acknowledged = sum(1 for _id, status in telegram_api.webhook_attempts if status == 200)
    assert at_kill < 3 * PEOPLE, "everything was handled before the kill; make it slower"
    left = await backlog(database, "telegram")

    second = await start_bot(database, tmp_path, **env)
    await telegram_api.wait_until(lambda: telegram_api.queued == 0, within=60, what="every update posted")
    await drain_and_stop(second, database)
    summary = await check_exactly_once(database, session_id, telegram_replies(telegram_api, keys))
    print(
        f"telegram webhook: {acknowledged} acknowledged, killed after {at_kill} answers with {left} "
        f"stored, unhandled; {summary}"
    )


# -- Zalo ----------------------------------------------------------------------------------------
async def test_zalo_webhook_kill_9_with_a_stored_backlog(tmp_path: Path) -> None:
    """Typed choices: /lichhoc N, then "1" (sign up), "1" (cancel…), "1" (yes), each answering
    the menu the previous answer showed; so order matters as much as once."""
    async with FakeZaloApi() as zalo_api:
        await _zalo_crash(tmp_path, zalo_api)


async def _zalo_crash(tmp_path: Path, zalo_api: FakeZaloApi) -> None:
    database = tmp_path / "bot.db"
    ids = [f"z{n:03d}" for n in range(PEOPLE)]
    session_id = await prepare(database, "zalo", ids)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/zalo"
    env = {
        "ZALO_BOT_TOKEN": zalo_api.token,
        "ZALO_BASE_URL": zalo_api.base_url,
        "ZALO_WEBHOOK_URL": url,
        "ZALO_WEBHOOK_SECRET": ZALO_SECRET,
        "WEBHOOK_PORT": str(port),
        "ZALO_RATE": "1000",
    }
    # Sign up, cancel (asks to confirm), confirm, sign up again from the answer's menu.
    script = [f"/lichhoc {session_id}", "1", "1", "1", f"/lichhoc {session_id}", "1"]
    events = [zalo_api.event(user, text=text) for text in script for user in ids]
    acknowledged: set[int] = set()

    async def send(indexes: list[int], client: httpx.AsyncClient) -> None:
        """One person's events in order, one at a time; people in parallel."""
        people: dict[str, list[int]] = {}
        for index in indexes:
            people.setdefault(events[index]["message"]["from"]["id"], []).append(index)

        async def one_person(mine: list[int]) -> None:
            for index in mine:
                try:
                    body = json.dumps(events[index])
                    response = await client.post(url, content=body, headers={ZALO_HEADER: ZALO_SECRET})
                except httpx.TransportError:
                    continue
                if response.status_code == 200:
                    acknowledged.add(index)

        await asyncio.gather(*(one_person(mine) for mine in people.values()))

    first = await start_bot(database, tmp_path, **env)
    await until(lambda: zalo_api.webhook_url == url, 60, "a webhook")
    zalo_api.slow_send = REPLY_DELAY
    async with httpx.AsyncClient() as client:
        sending = asyncio.create_task(send(list(range(len(events))), client))
        await until(lambda: len(zalo_api.sent) >= KILL_AFTER, 60, "some answers")
        await kill_9(first)
        await sending
    at_kill = len(zalo_api.sent)
    assert at_kill < len(events), "everything was handled before the kill; make it slower"
    lost = [i for i in range(len(events)) if i not in acknowledged]
    left = await backlog(database, "zalo")

    second = await start_bot(database, tmp_path, **env)
    await until(lambda: sum(m == "setWebhook" for m, _ in zalo_api.calls) == 2, 60, "a restart")
    async with httpx.AsyncClient() as client:
        # What got no 200 comes again, and a few that did (a platform that timed out).
        await send(lost + sorted(acknowledged)[:20], client)
    assert acknowledged == set(range(len(events)))
    async with open_runtime(Settings(database_path=database)) as app:
        store = app.services.store.read

        async def drained() -> bool:
            rows = await store.inbox.rows()
            return len(rows) == len(events) and all(r.handled_at is not None for r in rows)

        try:
            await until(drained, 90, "drained inbox")
        finally:
            second.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                _out, err = await second.communicate()
        assert second.returncode == 0, err.decode()
        signups = await store.events.count("training.signup")
        cancels = await store.events.count("training.cancel")
        confirmed = 0
        for user_id in ids:
            user = await store.users.by_key(f"zalo:{user_id}")
            assert user is not None
            signup = await store.sessions.signups.get(session_id, user.id)
            confirmed += signup is not None and signup.status == "confirmed"
    assert (signups, cancels, confirmed) == (2 * PEOPLE, PEOPLE, PEOPLE)
    # Six events, six answers: session, signed up, cancel?, cancelled, session, signed up.
    replies = {user_id: zalo_api.texts_to(user_id) for user_id in ids}
    missing, reruns = check_answers(replies, ["session", SIGNED, "confirm", CANCELLED, "session", SIGNED])
    print(
        f"zalo webhook: {len(events) - len(lost)} of {len(events)} acknowledged before the kill, "
        f"killed after {at_kill} answers with {left} stored, unhandled; {len(events)} updates each "
        f"handled once; {missing} answer(s) cut by the kill, {reruns} run again"
    )
