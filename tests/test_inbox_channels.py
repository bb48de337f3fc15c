"""The channels through the inbox: an update delivered again is handled once (Telegram polling and
webhook, Zalo polling and webhook), a webhook body that is no update is answered 400 and never
500, a burst is answered as soon as it is stored, and /healthz shows the backlog."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.bootstrap import Runtime
from bot.channels.serve import serve_channels
from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel, platform_id
from bot.config import Settings
from storage.inbox import NewUpdate
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZaloApi, wait_until
from tests.test_webhook import TELEGRAM_SECRET, ZALO_SECRET, free_port, webhook_settings

pytest.importorskip("tornado", reason="the webhook server needs python-telegram-bot[webhooks]")
pytest_plugins = ("tests.fakes.fixtures",)

TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_HEADER = "X-Bot-Api-Secret-Token"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    server = await FakeZaloApi().start()
    yield server
    await server.stop()


def telegram_webhook_settings(settings: Settings, api: FakeTelegram, port: int) -> Settings:
    return dataclasses.replace(
        settings,
        telegram_token=api.token,
        telegram_base_url=api.base_url,
        telegram_webhook_url=f"http://127.0.0.1:{port}/hooks/telegram",
        telegram_webhook_secret=TELEGRAM_SECRET,
        webhook_port=port,
    )


def text_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "An", "language_code": "vi"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "An"},
            "from": user,
            "text": text,
        },
    }


async def post(url: str, body: bytes | Any, header: str, secret: str) -> int:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient() as client:
        response = await client.post(
            url, content=content, headers={header: secret, "Content-Type": "application/json"}
        )
    return response.status_code


# -- an update delivered again --------------------------------------------------------------------
async def test_telegram_webhook_handles_an_update_delivered_twice_once(
    app: Runtime, settings: Settings, telegram_api: FakeTelegram
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/telegram"
    async with serve_channels(
        telegram_webhook_settings(settings, telegram_api, port), app.router, app.services
    ) as running:
        telegram: Any = running.channels["telegram"]
        body = text_update(5001, 777, "/start")
        assert await post(url, body, TELEGRAM_HEADER, TELEGRAM_SECRET) == 200
        assert await post(url, body, TELEGRAM_HEADER, TELEGRAM_SECRET) == 200  # Telegram timed out, resent
        await wait_until(lambda: telegram.processed == 1)
        assert await post(url, text_update(5002, 777, "/start"), TELEGRAM_HEADER, TELEGRAM_SECRET) == 200
        await wait_until(lambda: telegram.processed == 2)
        assert await post(url, body, TELEGRAM_HEADER, TELEGRAM_SECRET) == 200  # much later: still known
        await asyncio.sleep(0.1)
    consent = [t for t in telegram_api.texts("777") if "Bạn có đồng ý không?" in t]
    assert len(consent) == 2  # one per distinct update, none for the repeats
    assert telegram.processed == 2


async def test_telegram_polling_does_not_handle_again_what_it_stored_before_a_crash(
    app: Runtime, telegram_settings: Settings, telegram_api: FakeTelegram
) -> None:
    """A process stored (and even handled) an update, then died before confirming it: Telegram
    sends it again to the next process, which recognises it."""
    an = telegram_api.new_user("An")
    seen = telegram_api.push_text(an, "/start")
    async with app.services.store.write() as tx:
        await tx.inbox.add(
            "telegram",
            [NewUpdate(str(seen["update_id"]), f"telegram:{an.id}", "{}")],
            app.services.clock.now(),
        )
    row = (await app.services.store.read.inbox.rows())[0]
    async with app.services.store.write() as tx:
        await tx.inbox.mark_handled(row.id, app.services.clock.now())
    fresh = telegram_api.push_text(an, "/trogiup")
    channel = TelegramChannel(telegram_settings, app.router, app.services)
    await channel.start()
    try:
        await wait_until(lambda: channel.processed == 1)
        # Both are confirmed: the next poll asks for what follows them.
        await telegram_api.wait_for(
            "getUpdates", where=lambda c: c.params.get("offset") == fresh["update_id"] + 1, answered=False
        )
    finally:
        await channel.stop()
    texts = telegram_api.texts(an.id)
    assert len(texts) == 1  # the answer to /trogiup only: /start was not handled twice
    assert [r.platform_id for r in await app.services.store.read.inbox.rows()] == [
        str(seen["update_id"]),
        str(fresh["update_id"]),
    ]


async def test_zalo_webhook_handles_an_event_delivered_twice_once(
    app: Runtime, settings: Settings, fake: FakeZaloApi
) -> None:
    port = free_port()
    async with serve_channels(webhook_settings(settings, fake, port), app.router, app.services) as running:
        zalo: Any = running.channels["zalo"]
        event = fake.event("z1", text="/start")
        assert await fake.post_to_webhook(event, ZALO_SECRET) == 200
        assert await fake.post_to_webhook(event, ZALO_SECRET) == 200
        # Wrapped like a getUpdates answer, it is still the same event.
        assert await fake.post_to_webhook({"ok": True, "result": event}, ZALO_SECRET) == 200
        # Without a message_id, the same event is recognised by its content.
        bare = fake.event("z2", text="/start")
        del bare["message"]["message_id"]
        assert await fake.post_to_webhook(bare, ZALO_SECRET) == 200
        assert await fake.post_to_webhook(bare, ZALO_SECRET) == 200
        await wait_until(lambda: zalo.processed == 2)
        await asyncio.sleep(0.1)
        assert zalo.processed == 2
    assert len(fake.texts_to("z1")) == 1 and len(fake.texts_to("z2")) == 1
    ids = [r.platform_id for r in await app.services.store.read.inbox.rows("zalo")]
    assert ids == [event["message"]["message_id"], platform_id(bare)] and ids[1].startswith("sha256:")


async def test_zalo_polling_handles_an_event_fetched_twice_once(
    app: Runtime, settings: Settings, fake: FakeZaloApi
) -> None:
    channel = ZaloChannel(
        dataclasses.replace(
            settings, zalo_token=fake.token, zalo_base_url=fake.base_url, zalo_poll_timeout=2
        ),
        app.router,
    )
    event = fake.event("p1", text="/start")
    await fake.push(event)
    await fake.push(event)
    await fake.push(fake.event("p1", text="/trogiup"))
    await channel.start()
    try:
        await wait_until(lambda: channel.processed == 2)
        await wait_until(lambda: fake.pending_updates() == 0)
        await asyncio.sleep(0.1)
    finally:
        await channel.stop()
    assert channel.processed == 2
    assert len(fake.texts_to("p1")) == 2, fake.texts_to("p1")  # one answer to each distinct event
    assert len(await app.services.store.read.inbox.rows("zalo")) == 2


# -- bodies that are no update ---------------------------------------------------------------------
DEEP = b"[" * 100_000 + b"]" * 100_000
FORTY = json.dumps(json.loads("[" * 40 + "]" * 40)).encode()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**text_update(1, 9, "x"), "message": "a string"}, 400),
        ({"update_id": 2, "message": {"chat": "x", "from": [], "text": 5, "date": "now"}}, 400),
        ({"update_id": 3, "callback_query": {"id": 1, "from": "x"}}, 400),
        ({"message": text_update(4, 9, "x")["message"]}, 400),  # no update_id
        ({"update_id": "5", "message": text_update(5, 9, "x")["message"]}, 400),
        ({"update_id": True}, 400),
        ([text_update(6, 9, "x")], 400),
        ("update", 400),
        (None, 400),
        (DEEP, 400),
        (FORTY, 400),
        (b"\xff\xfe not utf-8", 400),
        ({"update_id": 7, "edited_message": text_update(7, 9, "x")["message"]}, 200),  # a kind we ignore
        ({"update_id": 8}, 200),
        (text_update(9, 9, "/start"), 200),
    ],
)
async def test_telegram_webhook_answers_400_to_what_is_no_update(
    app: Runtime, settings: Settings, telegram_api: FakeTelegram, body: Any, status: int
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/telegram"
    configured = telegram_webhook_settings(settings, telegram_api, port)
    async with serve_channels(configured, app.router, app.services):
        assert await post(url, body, TELEGRAM_HEADER, TELEGRAM_SECRET) == status
        # The server and the channel are still there for the next update.
        assert await post(url, text_update(99, 10, "/start"), TELEGRAM_HEADER, TELEGRAM_SECRET) == 200
        await telegram_api.wait_for_message(10, contains="Bạn có đồng ý không?")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"event_name": "message.text.received", "message": "a string"}, 400),
        ({"event_name": 5, "message": {}}, 400),
        ({"event_name": "message.text.received", "message": {"from": "x", "text": "hi"}}, 400),
        ({"event_name": "message.text.received", "message": {"from": {"id": "a"}, "text": ["hi"]}}, 400),
        ({"ok": True, "result": ["x"]}, 400),
        ([1, 2], 400),
        ("event", 400),
        (17, 400),
        (DEEP, 400),
        (FORTY, 400),
        ({"ok": False, "error_code": 408}, 200),  # nothing in it
        ({"event_name": "message.unsupported.received"}, 200),  # nobody to answer
        ({"event_name": "message.text.received", "message": {"from": {"id": "z9"}, "text": "/start"}}, 200),
    ],
)
async def test_zalo_webhook_answers_400_to_what_is_no_event(
    app: Runtime, settings: Settings, fake: FakeZaloApi, body: Any, status: int
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/zalo"
    async with serve_channels(webhook_settings(settings, fake, port), app.router, app.services):
        assert await post(url, body, ZALO_HEADER, ZALO_SECRET) == status
        assert await fake.post_to_webhook(fake.event("ok1", text="/start"), ZALO_SECRET) == 200
        await wait_until(lambda: bool(fake.texts_to("ok1")))


async def test_no_mangled_update_makes_a_webhook_fail(
    app: Runtime, settings: Settings, telegram_api: FakeTelegram, fake: FakeZaloApi
) -> None:
    """Every member of a real update and of a real event, replaced by each JSON type in turn: 200
    or 400, never 500, and whatever was accepted is handled without stopping the next ones."""
    port = free_port()
    configured = dataclasses.replace(
        telegram_webhook_settings(settings, telegram_api, port),
        zalo_token=fake.token,
        zalo_base_url=fake.base_url,
        zalo_webhook_url=f"http://127.0.0.1:{port}/hooks/zalo",
        zalo_webhook_secret=ZALO_SECRET,
    )
    values: list[Any] = [None, "s", 0, -1, 1.5, True, [], {}, [{}], {"id": {}}]
    statuses: set[int] = set()
    async with serve_channels(configured, app.router, app.services) as running:
        update_id = 100
        base = text_update(0, 31, "hello")
        for path in (
            ["message"],
            ["message", "from"],
            ["message", "chat"],
            ["message", "text"],
            ["message", "from", "id"],
            ["message", "chat", "id"],
            ["message", "date"],
            ["message", "chat", "type"],
            ["message", "photo"],
            ["message", "from", "is_bot"],
        ):
            for value in values:
                update_id += 1
                body = json.loads(json.dumps(base))
                body["update_id"] = update_id
                target = body
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = value
                statuses.add(
                    await post(
                        f"http://127.0.0.1:{port}/hooks/telegram", body, TELEGRAM_HEADER, TELEGRAM_SECRET
                    )
                )
        event = fake.event("z31", text="hello")
        for path in (
            ["message"],
            ["event_name"],
            ["message", "from"],
            ["message", "chat"],
            ["message", "text"],
            ["message", "from", "id"],
            ["message", "chat", "id"],
            ["message", "message_id"],
            ["message", "chat", "chat_type"],
        ):
            for value in values:
                body = json.loads(json.dumps(event))
                body["message"]["message_id"] = f"m{update_id}"
                update_id += 1
                target = body
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = value
                statuses.add(await fake.post_to_webhook(body, ZALO_SECRET))
        assert statuses <= {200, 400} and 400 in statuses
        # Whatever was stored is handled (or logged), and the channels still answer people.
        telegram: Any = running.channels["telegram"]
        zalo: Any = running.channels["zalo"]
        await wait_until(lambda: telegram.inbox.running() and zalo.inbox.running())
        async with asyncio.timeout(20):
            while (await telegram.inbox.backlog()).count or (await zalo.inbox.backlog()).count:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert (
            await post(
                f"http://127.0.0.1:{port}/hooks/telegram",
                text_update(9999, 32, "/start"),
                TELEGRAM_HEADER,
                TELEGRAM_SECRET,
            )
            == 200
        )
        await telegram_api.wait_for_message(32, contains="Bạn có đồng ý không?")


# -- a burst, and the backlog in /healthz ---------------------------------------------------------
async def test_a_zalo_burst_is_answered_as_soon_as_stored_and_all_handled(
    app: Runtime, settings: Settings, fake: FakeZaloApi
) -> None:
    port = free_port()
    configured = dataclasses.replace(webhook_settings(settings, fake, port), zalo_rate=1000.0)
    async with serve_channels(configured, app.router, app.services) as running:
        zalo: Any = running.channels["zalo"]
        events = [fake.event(f"b{n}", text="/start") for n in range(100)]
        started = time.perf_counter()
        statuses = await asyncio.gather(*(fake.post_to_webhook(e, ZALO_SECRET) for e in events))
        answered = time.perf_counter() - started
        assert set(statuses) == {200}
        await wait_until(lambda: zalo.processed == 100)
    assert all(len(fake.texts_to(f"b{n}")) == 1 for n in range(100))
    print(f"100 simultaneous Zalo webhook events answered within {answered:.2f} s")


async def test_healthz_shows_the_inbox_backlog(app: Runtime, settings: Settings, fake: FakeZaloApi) -> None:
    port = free_port()
    async with serve_channels(webhook_settings(settings, fake, port), app.router, app.services) as running:
        zalo: Any = running.channels["zalo"]
        await zalo.inbox.stop()  # nothing handles: what arrives waits
        await fake.post_to_webhook(fake.event("h1", text="/start"), ZALO_SECRET)
        await fake.post_to_webhook(fake.event("h2", text="/start"), ZALO_SECRET)
        clock: Any = app.services.clock
        clock.advance(timedelta(seconds=90))
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        # Waiting is not a fault of this process (the backlog is shared on PostgreSQL); a channel
        # that stopped handling is.
        assert health.status_code == 503
        assert health.json()["inbox"] == {"zalo": {"backlog": 2, "oldest_seconds": 90.0}}
        assert health.json()["checks"] == {"zalo": False}
        await zalo.inbox.start()
        await wait_until(lambda: zalo.processed == 2)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200 and health.json()["inbox"]["zalo"]["backlog"] == 0
