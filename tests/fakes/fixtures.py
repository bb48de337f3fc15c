"""Pytest fixtures: the fake Telegram Bot API server, and the real bot polling it.

A test module opts in with ``pytest_plugins = ("tests.fakes.fixtures",)``. The bot is the real
thing: ``TelegramChannel`` over the app from ``bot.bootstrap.open_runtime`` on a real SQLite file (the
``settings`` and ``clock`` fixtures of tests/conftest.py), seeded with the demo areas. Every
request it sends is checked against the Bot API spec; a test fails at teardown if one was invalid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from bot.bootstrap import Runtime, serve
from bot.channels.telegram import TelegramChannel
from bot.clock import ManualClock
from bot.config import Settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram


class TelegramBot:
    """The bot as `python -m bot run` runs it on Telegram, with stop/start/restart for tests."""

    def __init__(self, settings: Settings, clock: ManualClock, seed: bool = True) -> None:
        self.settings = settings
        self.clock = clock
        self.seed = seed
        self._app: Runtime | None = None
        self._channel: TelegramChannel | None = None
        self._stack: AsyncExitStack | None = None
        self.starts = 0

    @property
    def app(self) -> Runtime:
        if self._app is None:
            raise RuntimeError("the bot is not running")
        return self._app

    @property
    def channel(self) -> TelegramChannel:
        if self._channel is None:
            raise RuntimeError("the bot is not running")
        return self._channel

    @property
    def running(self) -> bool:
        return self._stack is not None

    async def start(self) -> None:
        async with AsyncExitStack() as stack:
            # The composition root's one call, as `python -m bot run` uses it, with the Telegram
            # channel only; the tests that send from the outbox enter `background(...)` themselves.
            app = await stack.enter_async_context(
                serve(
                    self.settings,
                    self.clock,
                    channels=lambda runtime: {
                        "telegram": TelegramChannel(self.settings, runtime.router, runtime.services)
                    },
                    seed_demo=self.seed,  # only seeds an empty database
                    background_work=False,
                )
            )
            channel = app.channels["telegram"]
            assert isinstance(channel, TelegramChannel)
            self._stack = stack.pop_all()
        self._app, self._channel = app, channel
        self.starts += 1

    async def stop(self) -> None:
        """Stop polling, close the app and its database: like a process that exits."""
        stack, self._stack = self._stack, None
        self._app = self._channel = None
        if stack is not None:
            await stack.aclose()

    async def restart(self) -> None:
        """A new process on the same database file: nothing survives in memory."""
        await self.stop()
        await self.start()


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API on 127.0.0.1; fails the test if the bot sent an invalid request."""
    async with FakeTelegram(TOKEN) as api:
        yield api
    assert api.violations == [], "invalid Bot API requests:\n" + "\n".join(api.violations)


@pytest.fixture
def telegram_settings(settings: Settings, telegram_api: FakeTelegram) -> Settings:
    return dataclasses.replace(settings, telegram_token=TOKEN, telegram_base_url=telegram_api.base_url)


@pytest.fixture
async def telegram_bot(telegram_settings: Settings, clock: ManualClock) -> AsyncIterator[TelegramBot]:
    """The real bot polling the fake server (started), stopped at teardown."""
    bot = TelegramBot(telegram_settings, clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
