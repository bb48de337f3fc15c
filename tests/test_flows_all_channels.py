"""The same conversations on every channel: terminal, Telegram and Zalo, each through its real adapter.

Each channel has a small driver that acts as one person and reads what the bot sent back:

    text = await say(driver, "/start")           # type, then wait until the bot has answered
    text = await choose(driver, "Tôi đồng ý", 1)  # Telegram taps the button; the others type "1"
    text = await choose_many(driver, ["Lớp tập huấn", "Đọc sách"], [1, 3])  # taps + "Xong", or typed "1 3"

A choice names both its label and its number, and the driver checks that the bot shows that
label at that place (as a button, or in the numbered list Zalo and the terminal get), so the
numbers typed on Zalo are proven to mean what the buttons mean on Telegram.

``wait_reply`` returns once the bot has finished handling everything sent so far (each adapter
counts the messages it handled), so a turn that answers with several messages is read whole.
To add a flow, write one ``async def test_…(driver: Driver)`` below; it runs on all three.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

import pytest

from bot.bootstrap import Runtime
from bot.channels.console import ConsoleChannel
from bot.channels.zalo import ZaloChannel
from bot.config import Settings
from bot.delivery.errors import Ambiguous, PermanentFailure, RetryAfter, TemporaryFailure, Unreachable
from bot.delivery.notify import to_reply
from bot.model import Reply
from tests.fakes.zalo_api import FakeZaloApi, wait_until
from tests.test_declaration_flow import HEAD_QUESTION, PROVISIONAL, SUMMARY
from tests.test_faq_handoff import due

pytest_plugins = ("tests.fakes.fixtures",)

CHANNELS = ("console", "telegram", "zalo")
DISPLAY_NAME = "Nguyễn Văn An"
CHOICE_LINE = re.compile(r"^  (?P<number>\d+)\. (?P<label>.+)$")


class Driver(Protocol):
    channel: str
    user_key: str
    app: Runtime

    async def send_text(self, text: str) -> None:
        """Type a message, as the person would."""

    async def choose(self, label: str, number: int) -> None:
        """Pick a choice: tap its button where there are buttons, else type its number."""

    async def choose_many(self, labels: list[str], numbers: list[int]) -> None:
        """Choose several items of a multiple choice: tap each then "Xong", or type "1 3" (a typed
        message is the whole answer)."""

    async def wait_reply(self) -> str:
        """Everything the bot sent since the last wait, once it has handled all that was sent."""

    def last_texts(self) -> list[str]:
        """The messages returned by the last ``wait_reply``, one string each."""

    def choices(self) -> list[str]:
        """The labels of the latest choices the bot offered: buttons, or the numbered list."""


async def say(driver: Driver, text: str) -> str:
    await driver.send_text(text)
    return await driver.wait_reply()


async def choose(driver: Driver, label: str, number: int) -> str:
    await driver.choose(label, number)
    return await driver.wait_reply()


async def choose_many(driver: Driver, labels: list[str], numbers: list[int]) -> str:
    await driver.choose_many(labels, numbers)
    return await driver.wait_reply()


def numbered_choices(texts: list[str]) -> list[str]:
    """The last numbered list of choices in plain text ("  1. label" lines, as channels render them)."""
    found: list[str] = []
    for line in "\n".join(texts).splitlines():
        match = CHOICE_LINE.match(line)
        if match is None:
            continue
        if match["number"] == "1":
            found = []  # a new list starts: only the latest one can be answered by number
        found.append(match["label"])
    return found


def check_number(driver: Driver, label: str, number: int) -> None:
    """The number typed must be the one shown beside the label: the test says both."""
    shown = driver.choices()
    assert 0 < number <= len(shown) and label.casefold() in shown[number - 1].casefold(), (
        f"{driver.channel}: choice {number} is not {label!r} in {shown}"
    )


# -- drivers ---------------------------------------------------------------------------------------
class ConsoleDriver:
    channel = "console"

    def __init__(self, app: Runtime, user_id: str = "fam") -> None:
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
        check_number(self, label, number)
        await self.send_text(str(number))

    async def choose_many(self, labels: list[str], numbers: list[int]) -> None:
        for label, number in zip(labels, numbers, strict=True):
            check_number(self, label, number)
        await self.send_text(" ".join(map(str, numbers)))  # the whole answer, as taps and "Xong" give

    async def wait_reply(self) -> str:
        new, self._seen = self._written[self._seen :], len(self._written)
        self._last = [w.removeprefix("bot> ").replace("\n     ", "\n") for w in new]
        return "\n".join(self._last)

    def last_texts(self) -> list[str]:
        return self._last

    def choices(self) -> list[str]:
        return numbered_choices(self._last)


class ZaloDriver:
    channel = "zalo"

    def __init__(
        self, app: Runtime, fake: FakeZaloApi, zalo: ZaloChannel, user_id: str = "6ede9afa66b88fe6d6a9"
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
        check_number(self, label, number)
        await self.send_text(str(number))  # Zalo shows no buttons: choices are numbered

    async def choose_many(self, labels: list[str], numbers: list[int]) -> None:
        for label, number in zip(labels, numbers, strict=True):
            check_number(self, label, number)
        await self.send_text(" ".join(map(str, numbers)))  # the whole answer, as taps and "Xong" give

    async def wait_reply(self) -> str:
        await wait_until(lambda: self.zalo.processed >= self._sent)
        texts = self.fake.texts_to(self.user_id)
        self._last, self._seen = texts[self._seen :], len(texts)
        return "\n".join(self._last)

    def last_texts(self) -> list[str]:
        return self._last

    def choices(self) -> list[str]:
        return numbered_choices(self._last)


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
        self._labels: list[str] = []

    async def send_text(self, text: str) -> None:
        self.api.push_text(self.user, text)
        self._sent += 1

    async def choose(self, label: str, number: int) -> None:
        check_number(self, label, number)  # the button's place is the number typed elsewhere
        self.api.press(self.user, label)  # taps the button of the latest keyboard
        self._sent += 1

    async def choose_many(self, labels: list[str], numbers: list[int]) -> None:
        for label, number in zip(labels, numbers, strict=True):
            check_number(self, label, number)
            self.api.press(self.user, label)  # ticks it: the bot answers with the list updated
            self._sent += 1
            await wait_until(lambda: self.bot.channel.processed >= self._sent)
        self.api.press(self.user, "Xong")
        self._sent += 1

    async def wait_reply(self) -> str:
        # Our own wait: the fake wakes its waiters on requests, and none may follow the last answer.
        await wait_until(lambda: self.bot.channel.processed >= self._sent)
        messages = self.api.messages_since(self.user.id, self._mark)
        self._mark = self.api.mark()
        self._last = [m.plain for m in messages]
        self._labels = next((m.labels for m in reversed(messages) if m.labels), [])
        return "\n".join(self._last)

    def last_texts(self) -> list[str]:
        return self._last

    def choices(self) -> list[str]:
        return self._labels


@pytest.fixture
def console_driver(app: Runtime) -> ConsoleDriver:
    return ConsoleDriver(app)


@pytest.fixture
def telegram_driver(telegram_api: object, telegram_bot: object) -> TelegramDriver:
    return TelegramDriver(telegram_api, telegram_bot)


@pytest.fixture
async def zalo_driver(app: Runtime, settings: Settings) -> AsyncIterator[ZaloDriver]:
    fake = await FakeZaloApi().start()
    # The default pace (10 messages/s) would make a long form wait on the limiter, not on the bot.
    zalo_settings = dataclasses.replace(
        settings, zalo_token=fake.token, zalo_base_url=fake.base_url, zalo_poll_timeout=5, zalo_rate=200
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


async def onboard_in_lien_bao(driver: Driver) -> None:
    """Consent and Tổ dân phố 1, Phường Liên Bảo: the demo officer's ward, with the demo session."""
    await say(driver, "/start")
    await choose(driver, "Tôi đồng ý", 1)
    await choose(driver, "Phường Liên Bảo", 1)
    await choose(driver, "Tổ dân phố 1", 1)
    assert "Xong rồi!" in await choose(driver, "Đúng rồi", 1)


async def test_questions_answered_with_their_source_or_sent_to_the_officer(driver: Driver) -> None:
    await onboard_in_lien_bao(driver)
    text = await say(driver, "tieu chi gia dinh hoc tap")  # typed without diacritics
    assert "Gia đình học tập: tiêu chí" in text and "QĐ 448/QĐ-KHVN" in text
    assert "📄 Nguồn: QĐ 448/QĐ-KHVN, Hội Khuyến học Việt Nam" in text
    text = await choose(driver, "Đăng ký danh hiệu", 1)  # a related topic
    assert "Đăng ký Gia đình học tập" in text and "Nguồn" in text

    text = await say(driver, "gia vang hom nay bao nhieu")
    assert "Tôi chưa chắc mình có câu trả lời" in text and "Có phải bạn muốn hỏi về" in text
    *topics, officer = driver.choices()
    assert "Gia đình học tập: tiêu chí" in topics and 2 <= len(topics) <= 3
    assert officer == "📨 Gửi câu hỏi cho cán bộ"
    store = driver.app.services.store.read
    user = await store.users.by_key(driver.user_key)
    assert user is not None and await store.questions.by_user(user.id) == []  # not sent unasked

    text = await choose(driver, "Gửi câu hỏi cho cán bộ", len(topics) + 1)
    assert "Tôi đã gửi câu hỏi của bạn cho cán bộ khuyến học Tổ dân phố 1" in text
    [question] = await store.questions.by_user(user.id)
    assert question.text == "gia vang hom nay bao nhieu" and question.area_id == "lien_bao.tdp1"
    [notice] = await due(driver.app, "faq-question:")
    officer_user = await store.users.by_key("console:officer")
    assert officer_user is not None and notice.user_id == officer_user.id
    assert "«gia vang hom nay bao nhieu»" in to_reply(notice).text and DISPLAY_NAME in to_reply(notice).text


async def test_family_declaration_of_two_with_mistakes_to_the_self_assessment(driver: Driver) -> None:
    await onboard_in_lien_bao(driver)
    text = await say(driver, "/khaibao")
    assert "“Gia đình học tập” năm 2026" in text and HEAD_QUESTION in text
    text = await say(driver, "Tran Thi 8inh")  # wrong: a digit in the name
    assert "Họ tên không có chữ số" in text and HEAD_QUESTION in text
    text = await say(driver, "Trần Thị Bình")
    assert "Gia đình ở: Tổ dân phố 1, Phường Liên Bảo" in text
    text = await choose(driver, "Đúng rồi", 1)
    assert "Chủ hộ Trần Thị Bình sinh năm nào?" in text
    text = await say(driver, "80")  # wrong: two digits
    assert "bốn chữ số" in text and "Chủ hộ Trần Thị Bình sinh năm nào?" in text
    text = await say(driver, "1980")
    assert "1. Chủ hộ, sinh năm 1980: hiện nay người này đang học gì?" in text
    text = await say(driver, "khong")  # typed words: "Hiện không đi học"
    assert "có biết đọc, biết viết không" in text
    text = await choose(driver, "Có", 1)
    assert "trong 12 tháng qua" in text
    text = await choose_many(driver, ["Lớp tập huấn", "Đọc sách hoặc báo"], [1, 3])
    assert "Đã ghi: 1. Chủ hộ, sinh năm 1980." in text and "Gia đình còn ai khác" in text

    text = await choose(driver, "Thêm thành viên", 1)
    assert "Thành viên thứ 2: người này là gì của chủ hộ Trần Thị Bình?" in text
    text = await say(driver, "con")
    assert "2. Con: người này sinh năm nào?" in text
    text = await say(driver, "3000")  # wrong: a year to come
    assert "Năm 3000 có vẻ chưa đúng" in text and "2. Con: người này sinh năm nào?" in text
    await say(driver, "2015")
    text = await say(driver, "tieu hoc")
    assert "Đã ghi: 2. Con, sinh năm 2015." in text
    text = await choose(driver, "Đã đủ, không còn ai", 2)
    assert "Gia đình có những điều kiện học tập nào" in text
    text = await choose_many(driver, ["Tủ sách hoặc góc đọc sách"], [1])
    assert "sinh hoạt học tập ở cộng đồng" in text
    text = await say(driver, "thinh thoang")
    assert "ghi chú" in text
    text = await choose(driver, "Bỏ qua", 1)
    assert SUMMARY in text and "Thành viên (2 người)" in text
    assert "1. Chủ hộ, sinh năm 1980 (46 tuổi) — Hiện không đi học; biết đọc, biết viết" in text
    assert "2. Con, sinh năm 2015 (11 tuổi) — Tiểu học (cấp 1)" in text

    text = await choose(driver, "Gửi bản khai báo", 1)
    assert "Bản khai báo năm 2026 của gia đình đã được gửi" in text and PROVISIONAL in text
    assert "✅ Mọi trẻ em trong độ tuổi phổ cập" in text
    adults = "Mỗi người lớn (ở đây: 19–60 tuổi) tham gia ít nhất một hoạt động học tập trong năm"
    assert f"✅ {adults}: đạt" in text
    assert "448/QĐ-KHVN" in text

    store = driver.app.services.store.read
    user = await store.users.by_key(driver.user_key)
    assert user is not None
    declaration = await store.declarations.for_user(user.id, 2026)
    assert declaration is not None and declaration.status == "submitted"
    assert declaration.head_name == "Trần Thị Bình" and declaration.area_id == "lien_bao.tdp1"
    assert declaration.data["m"] == [
        {"r": "head", "y": 1980, "l": "none", "lit": True, "a": ["course", "reading"]},
        {"r": "child", "y": 2015, "l": "primary"},
    ]
    assert declaration.data["c"] == ["books"] and declaration.data["e"] == "sometimes"
    assert (await store.conversations.load(user.id)).flow is None


async def test_sign_up_for_the_demo_session_and_cancel(driver: Driver) -> None:
    await onboard_in_lien_bao(driver)
    text = await say(driver, "/lichhoc")
    assert "Các buổi tập huấn sắp tới" in text and "08:00, Thứ Sáu, 27/11/2026" in text
    assert "Đã đăng ký 0/60 chỗ" in text
    text = await choose(driver, "Hội nghị tập huấn", 1)
    assert "Hội trường UBND phường Liên Bảo" in text and "Vẫn còn chỗ" in text
    text = await choose(driver, "Đăng ký", 1)
    assert "Bạn đã đăng ký buổi Hội nghị tập huấn" in text
    assert "Tôi sẽ nhắc bạn 1 ngày trước, và một lần nữa 2 giờ trước giờ bắt đầu" in text

    store = driver.app.services.store.read
    user = await store.users.by_key(driver.user_key)
    assert user is not None
    now = driver.app.services.clock.now()
    [(session_id, status)] = await store.sessions.signups.upcoming_for_user(user.id, now)
    assert status == "confirmed"
    reminders = await store.sessions.reminders.for_person(session_id, user.id)
    assert sorted(r.offset_min for r in reminders if r.state == "pending") == [120, 1440]
    text = await say(driver, "/lichhoc")
    assert "Đã đăng ký 1/60 chỗ" in text and "bạn đã đăng ký" in text

    text = await say(driver, "/huydangky")
    assert "Bạn muốn hủy đăng ký buổi nào?" in text
    text = await choose(driver, "Hội nghị tập huấn", 1)
    assert "Hủy đăng ký buổi Hội nghị tập huấn" in text
    text = await say(driver, "co, huy")  # the label typed without accents, on every channel
    assert "Đã hủy đăng ký buổi Hội nghị tập huấn" in text

    signup = await store.sessions.signups.get(session_id, user.id)
    assert signup is not None and signup.status == "cancelled"
    reminders = await store.sessions.reminders.for_person(session_id, user.id)
    assert {r.state for r in reminders} == {"cancelled"}
    assert "Đã đăng ký 0/60 chỗ" in await say(driver, "/lichhoc")
    assert await store.events.count("training.signup") == 1
    assert await store.events.count("training.cancel") == 1


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
        # The request left and the connection closed without an answer: it may have arrived.
        ("dropped", Ambiguous),
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
