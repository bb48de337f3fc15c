"""The same conversations on every channel: terminal, Telegram and Zalo, each through its real adapter.

Each channel has a small driver that acts as one person and reads what the bot sent back:

    text = await say(driver, "/start")           # type, then wait until the bot has answered
    text = await choose(driver, "Tôi đồng ý", 1)  # Telegram taps the button; the others type "1"

``wait_reply`` returns once the bot has finished handling everything sent so far (each adapter
counts the messages it handled), so a turn that answers with several messages is read whole.
To add a flow, write one ``async def test_…(driver: Driver)`` below; it runs on all three.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.channels.zalo import ZaloChannel
from bot.config import Settings
from bot.delivery_errors import PermanentFailure, RetryAfter, TemporaryFailure, Unreachable
from bot.model import Reply
from tests.fakes.zalo_api import FakeZaloApi, wait_until

pytest_plugins = ("tests.fakes.fixtures",)

CHANNELS = ("console", "telegram", "zalo")
DISPLAY_NAME = "Nguyễn Văn An"


class Driver(Protocol):
    channel: str
    user_key: str
    app: App

    async def send_text(self, text: str) -> None:
        """Type a message, as the person would."""

    async def choose(self, label: str, number: int) -> None:
        """Pick a choice: tap its button where there are buttons, else type its number."""

    async def wait_reply(self) -> str:
        """Everything the bot sent since the last wait, once it has handled all that was sent."""

    def last_texts(self) -> list[str]:
        """The messages returned by the last ``wait_reply``, one string each."""


async def say(driver: Driver, text: str) -> str:
    await driver.send_text(text)
    return await driver.wait_reply()


async def choose(driver: Driver, label: str, number: int) -> str:
    await driver.choose(label, number)
    return await driver.wait_reply()


# -- drivers ---------------------------------------------------------------------------------------
class ConsoleDriver:
    channel = "console"

    def __init__(self, app: App, user_id: str = "fam") -> None:
        self.app = app
        self.user_key = f"console:{user_id}"
        self._written: list[str] = []
        self._seen = 0
        self._last: list[str] = []
        self.console = ConsoleChannel(
            app.router, user_id, display_name=DISPLAY_NAME, write=self._written.append
        )

    async def send_text(self, text: str) -> None:
        await self.console.send_text(text)  # returns once the router has answered

    async def choose(self, label: str, number: int) -> None:
        await self.send_text(str(number))

    async def wait_reply(self) -> str:
        new, self._seen = self._written[self._seen :], len(self._written)
        self._last = [w.removeprefix("bot> ").replace("\n     ", "\n") for w in new]
        return "\n".join(self._last)

    def last_texts(self) -> list[str]:
        return self._last


class ZaloDriver:
    channel = "zalo"

    def __init__(
        self, app: App, fake: FakeZaloApi, zalo: ZaloChannel, user_id: str = "6ede9afa66b88fe6d6a9"
    ) -> None:
        self.app = app
        self.fake = fake
        self.zalo = zalo
        self.user_id = user_id
        self.user_key = f"zalo:{user_id}"
        self._sent = 0
        self._seen = 0
        self._last: list[str] = []

    async def send_text(self, text: str) -> None:
        await self.fake.user_sends(self.user_id, text, display_name=DISPLAY_NAME)
        self._sent += 1

    async def choose(self, label: str, number: int) -> None:
        await self.send_text(str(number))  # Zalo shows no buttons: choices are numbered

    async def wait_reply(self) -> str:
        await wait_until(lambda: self.zalo.processed >= self._sent)
        texts = self.fake.texts_to(self.user_id)
        self._last, self._seen = texts[self._seen :], len(texts)
        return "\n".join(self._last)

    def last_texts(self) -> list[str]:
        return self._last


class TelegramDriver:
    channel = "telegram"

    def __init__(self, api: object, bot: object) -> None:
        from tests.fakes.fixtures import TelegramBot
        from tests.fakes.telegram_api import FakeTelegram

        assert isinstance(api, FakeTelegram) and isinstance(bot, TelegramBot)
        self.api = api
        self.bot = bot
        self.app = bot.app
        first, _, last = DISPLAY_NAME.rpartition(" ")
        self.user = api.new_user(first, last)
        self.user_key = f"telegram:{self.user.id}"
        self._sent = 0
        self._mark = api.mark()
        self._last: list[str] = []

    async def send_text(self, text: str) -> None:
        self.api.push_text(self.user, text)
        self._sent += 1

    async def choose(self, label: str, number: int) -> None:
        self.api.press(self.user, label)  # taps the button of the latest keyboard
        self._sent += 1

    async def wait_reply(self) -> str:
        # Our own wait: the fake wakes its waiters on requests, and none may follow the last answer.
        await wait_until(lambda: self.bot.channel.processed >= self._sent)
        messages = self.api.messages_since(self.user.id, self._mark)
        self._mark = self.api.mark()
        self._last = [m.plain for m in messages]
        return "\n".join(self._last)

    def last_texts(self) -> list[str]:
        return self._last


@pytest.fixture
def console_driver(app: App) -> ConsoleDriver:
    return ConsoleDriver(app)


@pytest.fixture
def telegram_driver(telegram_api: object, telegram_bot: object) -> TelegramDriver:
    return TelegramDriver(telegram_api, telegram_bot)


@pytest.fixture
async def zalo_driver(app: App, settings: Settings) -> AsyncIterator[ZaloDriver]:
    fake = await FakeZaloApi().start()
    zalo_settings = dataclasses.replace(
        settings, zalo_token=fake.token, zalo_base_url=fake.base_url, zalo_poll_timeout=5
    )
    zalo = ZaloChannel(zalo_settings, app.router)
    await zalo.start()
    try:
        yield ZaloDriver(app, fake, zalo)
    finally:
        await zalo.stop()
        await fake.stop()


@pytest.fixture(params=CHANNELS)
def driver(request: pytest.FixtureRequest) -> Driver:
    """The same person on each channel in turn (a sync fixture: it picks an async one by name)."""
    found: Driver = request.getfixturevalue(f"{request.param}_driver")
    return found


# -- flows -----------------------------------------------------------------------------------------
async def test_onboarding(driver: Driver) -> None:
    store = driver.app.services.store.read
    text = await say(driver, "/start")
    assert "Bạn có đồng ý không?" in text
    assert await store.users.by_key(driver.user_key) is None  # nothing stored before consent

    text = await choose(driver, "Tôi đồng ý", 1)
    assert "phường/xã nào" in text
    text = await say(driver, "hoi hop")  # typed by name, without accents, on every channel
    assert "Phường Hội Hợp: bạn ở thôn/tổ dân phố nào?" in text
    text = await say(driver, "dong hoa")
    assert "Thôn Đồng Hòa, Phường Hội Hợp" in text
    text = await choose(driver, "Đúng rồi", 1)
    assert "Xong rồi!" in text

    user = await store.users.by_key(driver.user_key)
    assert user is not None and user.channel == driver.channel
    assert user.area_id == "hoi_hop.thon_dong_hoa" and user.display_name == DISPLAY_NAME
    assert await store.events.count("user.registered") == 1


async def test_help_and_cancel_in_the_middle_of_a_flow(driver: Driver) -> None:
    await say(driver, "/start")
    await choose(driver, "Tôi đồng ý", 1)
    text = await say(driver, "/help")
    assert "/huy" in text and "phường/xã nào" in text  # the step is asked again after the help
    text = await say(driver, "/huy")
    assert "Đã hủy" in text


# -- proactive sends (the delivery worker's deliver) -----------------------------------------------
def _telegram_fault(name: str) -> object:
    from tests.fakes.telegram_api import Fault

    return {
        "429": Fault.too_many_requests(retry_after=7),
        "403": Fault.blocked(),
        "chat not found": Fault.chat_not_found(),
        "400": Fault(400, "Bad Request: can't parse entities: unsupported start tag"),
        "500": Fault.server_error(),
        "dropped": Fault.dropped(),
    }[name]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("429", RetryAfter),
        ("403", Unreachable),
        ("chat not found", Unreachable),
        ("400", PermanentFailure),
        ("500", TemporaryFailure),
        ("dropped", TemporaryFailure),
    ],
)
async def test_telegram_deliver_maps_errors(
    telegram_api: Any, telegram_bot: Any, fault: str, expected: type[Exception]
) -> None:
    chat_id = str(telegram_api.new_user("Bình", "Trần Thị").id)
    telegram_api.inject(_telegram_fault(fault), method="sendMessage", chat_id=chat_id)
    with pytest.raises(expected) as error:
        await telegram_bot.channel.deliver(chat_id, Reply("Nhắc lịch: <b>tập huấn</b> sáng mai"))
    if isinstance(error.value, RetryAfter):
        assert error.value.seconds == 7  # exactly what Telegram asked for
    await telegram_bot.channel.deliver(chat_id, Reply("Nhắc lịch: <b>tập huấn</b> sáng mai"))
    assert telegram_api.texts(chat_id)[-1] == "Nhắc lịch: tập huấn sáng mai"
