"""Start-up that explains itself: each failure is one line naming what to fix; a command menu that
cannot be set is a warning, not a stop; a 404 after getMe is a wrong URL, not a wrong token."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from bot.bootstrap import Runtime
from bot.channels.base import StartError
from bot.channels.serve import start_channel
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Fault

pytest_plugins = ("tests.fakes.fixtures",)


def channel(app: Runtime, settings: Settings) -> TelegramChannel:
    return TelegramChannel(settings, app.router, app.services)


async def test_a_failed_command_menu_is_a_warning_and_the_bot_starts(
    app: Runtime, telegram_settings: Settings, telegram_api: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram_api.inject(Fault(404, "Not Found"), method="setMyCommands", times=None)
    bot = channel(app, telegram_settings)
    with caplog.at_level(logging.WARNING):
        await start_channel(bot)
    try:
        assert bot.healthy()
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("command menu was not set" in w for w in warnings), warnings
        assert not any("TOKEN" in w.upper() and "refused" in w for w in warnings)
    finally:
        await bot.stop()


async def test_a_404_after_getme_names_the_call_not_the_token(
    app: Runtime, telegram_settings: Settings, telegram_api: FakeTelegram
) -> None:
    settings = dataclasses.replace(
        telegram_settings,
        telegram_webhook_url="https://bot.example.org/telegram",
        telegram_webhook_secret="s3cret-token",
    )
    telegram_api.inject(Fault(404, "Not Found"), method="setWebhook", times=None)
    bot = channel(app, settings)
    with pytest.raises(StartError) as raised:
        await start_channel(bot)
    await bot.stop()
    line = str(raised.value)
    assert "\n" not in line and "setWebhook" in line and "TELEGRAM_WEBHOOK_URL" in line
    assert "refused TELEGRAM_BOT_TOKEN" not in line and TOKEN not in line


async def test_a_wrong_token_is_named_only_when_getme_refuses_it(
    app: Runtime, telegram_settings: Settings, telegram_api: FakeTelegram
) -> None:
    telegram_api.inject(Fault(401, "Unauthorized"), method="getMe")
    bot = channel(app, telegram_settings)
    with pytest.raises(StartError, match="refused TELEGRAM_BOT_TOKEN"):
        await start_channel(bot)
    await bot.stop()


async def test_a_malformed_getme_answer_is_one_line(
    app: Runtime, telegram_settings: Settings, telegram_api: FakeTelegram
) -> None:
    telegram_api._handlers["getMe"] = lambda call: "not a bot"
    bot = channel(app, telegram_settings)
    with pytest.raises(StartError) as raised:
        await start_channel(bot)
    await bot.stop()
    line = str(raised.value)
    assert "\n" not in line and "getMe" in line and "TELEGRAM_BASE_URL" in line
