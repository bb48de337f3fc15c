"""Webhook mode: one server for both platforms, secrets checked, /healthz, start-up errors."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.bootstrap import Runtime
from bot.channels.serve import StartError, serve_channels
from bot.channels.telegram import TelegramChannel
from bot.channels.webhook import WebhookServer
from bot.config import ConfigError, Settings, load_settings
from tests.fakes.zalo_api import FakeZaloApi, wait_until

pytest.importorskip("tornado", reason="the webhook server needs python-telegram-bot[webhooks]")
pytest_plugins = ("tests.fakes.fixtures",)

NO_FILE = Path("/nonexistent/.env")
ZALO_SECRET = "zalo-secret-0123456789"
TELEGRAM_SECRET = "tg_secret-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    server = await FakeZaloApi().start()
    yield server
    await server.stop()


def webhook_settings(settings: Settings, fake: FakeZaloApi, port: int) -> Settings:
    return dataclasses.replace(
        settings,
        zalo_token=fake.token,
        zalo_base_url=fake.base_url,
        zalo_webhook_url=f"http://127.0.0.1:{port}/hooks/zalo",
        zalo_webhook_secret=ZALO_SECRET,
        webhook_port=port,
    )


# -- Zalo webhook --------------------------------------------------------------------------------
async def test_zalo_webhook_is_set_and_serves_conversations(
    app: Runtime, settings: Settings, fake: FakeZaloApi
) -> None:
    port = free_port()
    configured = webhook_settings(settings, fake, port)
    async with serve_channels(configured, app.router, app.services) as running:
        zalo: Any = running.channels["zalo"]
        assert (
            fake.webhook_url == f"http://127.0.0.1:{port}/hooks/zalo" and fake.webhook_secret == ZALO_SECRET
        )
        assert "getUpdates" not in [m for m, _ in fake.calls]  # webhook mode does not poll
        await fake.user_sends("w1", "/start")
        assert fake.webhook_statuses == [200]
        await wait_until(lambda: zalo.processed == 1)
        assert "Bạn có đồng ý không?" in fake.texts_to("w1")[0]
        # The body may also come wrapped like a getUpdates answer.
        status = await fake.post_to_webhook({"ok": True, "result": fake.event("w1", text="1")}, ZALO_SECRET)
        assert status == 200
        await wait_until(lambda: zalo.processed == 2)
        assert "phường/xã nào" in fake.texts_to("w1")[-1]
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
        assert health.json() == {
            "status": "ok",
            "checks": {"zalo": True},
            "inbox": {"zalo": {"backlog": 0, "oldest_seconds": 0.0}},
        }


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-123", ZALO_SECRET + "x", ZALO_SECRET.upper()])
async def test_zalo_webhook_refuses_a_wrong_or_missing_secret(
    app: Runtime, settings: Settings, fake: FakeZaloApi, secret: str | None
) -> None:
    port = free_port()
    async with serve_channels(webhook_settings(settings, fake, port), app.router, app.services) as running:
        status = await fake.post_to_webhook(fake.event("w2", text="/start"), secret)
        assert status == 403
        assert running.channels["zalo"].processed == 0  # type: ignore[attr-defined]
        assert fake.sent == []


async def test_webhook_refuses_other_methods_and_bodies_that_are_not_json(
    app: Runtime, settings: Settings, fake: FakeZaloApi
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/zalo"
    async with (
        serve_channels(webhook_settings(settings, fake, port), app.router, app.services),
        httpx.AsyncClient() as client,
    ):
        assert (await client.get(url)).status_code == 405
        bad = await client.post(url, content=b"{not json", headers={"X-Bot-Api-Secret-Token": ZALO_SECRET})
        assert bad.status_code == 400
        unauthenticated_junk = await client.post(url, content=b"{not json")
        assert unauthenticated_junk.status_code == 403  # the secret is checked before the body
        assert (await client.get(f"http://127.0.0.1:{port}/files/nothing-here.png")).status_code == 404
        assert (await client.get(f"http://127.0.0.1:{port}/other")).status_code == 404


# -- Telegram webhook --------------------------------------------------------------------------------
def telegram_update(text: str) -> dict[str, Any]:
    user = {"id": 555, "is_bot": False, "first_name": "An", "language_code": "vi"}
    return {
        "update_id": 1001,
        "message": {
            "message_id": 7,
            "date": 1_764_000_000,
            "chat": {"id": 555, "type": "private", "first_name": "An"},
            "from": user,
            "text": text,
        },
    }


@pytest.mark.parametrize(
    ("secret", "status"), [(None, 403), ("", 403), ("nope", 403), (TELEGRAM_SECRET, 200)]
)
async def test_telegram_webhook_checks_the_secret_token(
    app: Runtime, settings: Settings, secret: str | None, status: int
) -> None:
    configured = dataclasses.replace(
        settings,
        telegram_token="123456:TEST-token",
        telegram_webhook_url="https://bot.example.org/hooks/telegram",
        telegram_webhook_secret=TELEGRAM_SECRET,
    )
    telegram = TelegramChannel(configured, app.router, app.services)
    assert telegram.app.updater is None  # receiving is the channel's own
    server = WebhookServer("127.0.0.1", 0, [telegram.endpoint("/hooks/telegram")])
    await server.start()  # the channel is not started: what comes in is stored, not handled
    try:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://127.0.0.1:{server.port}/hooks/telegram",
                content=json.dumps(telegram_update("/start")),
                headers=headers | {"Content-Type": "application/json"},
            )
        assert response.status_code == status
        rows = await app.services.store.read.inbox.rows("telegram")
        assert [(r.platform_id, r.person, r.has_payload) for r in rows] == (
            [("1001", "telegram:555", True)] if status == 200 else []
        )
    finally:
        await server.stop()


# -- start-up errors -----------------------------------------------------------------------------
async def test_a_refused_zalo_token_stops_start_up_with_one_line(
    app: Runtime, settings: Settings, fake: FakeZaloApi
) -> None:
    configured = dataclasses.replace(settings, zalo_token="wrong:token-value", zalo_base_url=fake.base_url)
    with pytest.raises(StartError) as error:
        async with serve_channels(configured, app.router, app.services):
            pass
    assert "ZALO_BOT_TOKEN" in str(error.value) and "\n" not in str(error.value)


async def test_a_busy_port_stops_start_up_with_one_line(
    app: Runtime, settings: Settings, fake: FakeZaloApi
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StartError) as error:
            async with serve_channels(webhook_settings(settings, fake, port), app.router, app.services):
                pass
    assert "WEBHOOK_PORT" in str(error.value)


# -- configuration -------------------------------------------------------------------------------
def test_webhook_settings_are_read() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "1:A",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_-A",
            "ZALO_BOT_TOKEN": "12345:abcdefgh",
            "ZALO_WEBHOOK_URL": "https://bot.example.org/zalo",
            "ZALO_WEBHOOK_SECRET": "eight-chars",
            "WEBHOOK_LISTEN": "0.0.0.0",
            "PUBLIC_BASE_URL": "https://bot.example.org/",
            "ZALO_RATE": "4",
            "ZALO_RETRY_AFTER": "60",
            "TELEGRAM_RATE": "20",
        },
        NO_FILE,
    )
    assert settings.server_port == 8080 and settings.webhook_listen == "0.0.0.0"
    assert settings.public_base_url == "https://bot.example.org"
    assert (settings.zalo_rate, settings.zalo_retry_after, settings.telegram_rate) == (4.0, 60.0, 20.0)
    assert load_settings({"ZALO_BOT_TOKEN": "12345:abcdefgh"}, NO_FILE).server_port is None  # polling only
    assert load_settings({"WEBHOOK_PORT": "9000"}, NO_FILE).server_port == 9000  # /healthz alone


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"ZALO_BOT_TOKEN": "has space in it"}, "ZALO_BOT_TOKEN"),
        ({"ZALO_BASE_URL": "bot-api.zaloplatforms.com"}, "ZALO_BASE_URL"),
        ({"ZALO_WEBHOOK_URL": "https://x.org/zalo"}, "ZALO_WEBHOOK_URL"),  # without a token
        ({"ZALO_BOT_TOKEN": "1234:abcdefg", "ZALO_WEBHOOK_URL": "https://x.org/zalo"}, "ZALO_WEBHOOK_SECRET"),
        (
            {
                "ZALO_BOT_TOKEN": "1234:abcdefg",
                "ZALO_WEBHOOK_URL": "https://x.org/z",
                "ZALO_WEBHOOK_SECRET": "short",
            },
            "ZALO_WEBHOOK_SECRET",
        ),
        ({"ZALO_BOT_TOKEN": "1234:abcdefg", "ZALO_WEBHOOK_URL": "http://x.org/zalo"}, "ZALO_WEBHOOK_URL"),
        ({"TELEGRAM_BOT_TOKEN": "1:A", "TELEGRAM_WEBHOOK_URL": "https://x.org/"}, "TELEGRAM_WEBHOOK_URL"),
        (
            {"TELEGRAM_BOT_TOKEN": "1:A", "TELEGRAM_WEBHOOK_URL": "https://x.org/tg"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": "1:A",
                "TELEGRAM_WEBHOOK_URL": "https://x.org/tg",
                "TELEGRAM_WEBHOOK_SECRET": "has space",
            },
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": "1:A",
                "TELEGRAM_WEBHOOK_URL": "https://x.org/hook",
                "TELEGRAM_WEBHOOK_SECRET": "abc",
                "ZALO_BOT_TOKEN": "1234:abcdefg",
                "ZALO_WEBHOOK_URL": "https://y.org/hook",
                "ZALO_WEBHOOK_SECRET": "abcdefgh",
            },
            "ZALO_WEBHOOK_URL",
        ),
        ({"WEBHOOK_PORT": "http"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
        ({"WEBHOOK_LISTEN": "0.0.0.0/24"}, "WEBHOOK_LISTEN"),
        ({"PUBLIC_BASE_URL": "bot.example.org"}, "PUBLIC_BASE_URL"),
        ({"ZALO_RATE": "0"}, "ZALO_RATE"),
        ({"ZALO_RETRY_AFTER": "soon"}, "ZALO_RETRY_AFTER"),
        ({"TELEGRAM_RATE": "-1"}, "TELEGRAM_RATE"),
    ],
)
def test_bad_channel_settings_name_the_variable(values: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(values, NO_FILE)
    assert name in str(error.value) and "\n" not in str(error.value)


# -- both platforms on one server -----------------------------------------------------------------
async def test_telegram_and_zalo_share_one_webhook_server(
    app: Runtime, settings: Settings, fake: FakeZaloApi, telegram_api: Any
) -> None:
    port = free_port()
    configured = dataclasses.replace(
        webhook_settings(settings, fake, port),
        telegram_token=telegram_api.token,
        telegram_base_url=telegram_api.base_url,
        telegram_webhook_url=f"http://127.0.0.1:{port}/hooks/telegram",
        telegram_webhook_secret=TELEGRAM_SECRET,
    )
    async with serve_channels(configured, app.router, app.services) as running:
        assert set(running.channels) == {"telegram", "zalo"}
        assert telegram_api.webhook["secret_token"] == TELEGRAM_SECRET
        an = telegram_api.new_user("An", "Nguyễn Văn")
        telegram_api.push_text(an, "/start")
        await fake.user_sends("z1", "/start")
        await telegram_api.wait_for_message(an.id, contains="Bạn có đồng ý không?")
        await wait_until(lambda: any("Bạn có đồng ý không?" in t for t in fake.texts_to("z1")))
        assert [status for _, status in telegram_api.webhook_attempts] == [200]
        assert not any(c.method == "getUpdates" for c in telegram_api.calls)
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
        assert health["status"] == "ok" and health["checks"] == {"telegram": True, "zalo": True}
        assert set(health["inbox"]) == {"telegram", "zalo"}
