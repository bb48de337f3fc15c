"""Every menu, typed: rows of (what is shown, what is typed, what is chosen), on the terminal and Zalo.

Neither channel shows buttons: choices come as a numbered list, and what the person types is the
button. Each row brings a new person to the menu (``shown``: the label checked on screen), types
one answer, and checks the bot acted on the choice it names (``chosen``: a text of the answer) —
or, for words that name nothing, asked again with the menu instead of answering from the Q&A.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Protocol

import pytest

from bot import accounts
from bot.bootstrap import Runtime
from bot.channels.console import ConsoleChannel
from bot.channels.zalo import ZaloChannel
from bot.config import Settings
from bot.demo import DEMO_OFFICER_AREA
from tests.fakes.zalo_api import FakeZaloApi, wait_until
from tests.test_flows_all_channels import DISPLAY_NAME, numbered_choices

ASKED_AGAIN = "Xin lỗi, tôi chưa rõ bạn chọn mục nào"
WHICH_ONE = "Bạn muốn chọn mục nào?"
_ids = itertools.count(1)


class Person(Protocol):
    channel: str
    key: str

    async def say(self, text: str) -> str: ...

    def choices(self) -> list[str]: ...


class ConsolePerson:
    channel = "console"

    def __init__(self, app: Runtime, user_id: str) -> None:
        self.key = f"console:{user_id}"
        self._written: list[str] = []
        self._console = ConsoleChannel(
            app.router, user_id, display_name=DISPLAY_NAME, write=self._written.append
        )
        self._last: list[str] = []

    async def say(self, text: str) -> str:
        seen = len(self._written)
        await self._console.send_text(text)
        self._last = [w.removeprefix("bot> ").replace("\n     ", "\n") for w in self._written[seen:]]
        return "\n".join(self._last)

    def choices(self) -> list[str]:
        return numbered_choices(self._last)


class ZaloPeople:
    """One fake Zalo platform; everyone's messages are counted together (the channel counts
    what it handled, for everyone)."""

    def __init__(self, fake: FakeZaloApi, zalo: ZaloChannel) -> None:
        self.fake, self.zalo, self.sent = fake, zalo, 0


class ZaloPerson:
    channel = "zalo"

    def __init__(self, people: ZaloPeople, user_id: str) -> None:
        self.people, self.user_id, self.key = people, user_id, f"zalo:{user_id}"
        self._last: list[str] = []

    async def say(self, text: str) -> str:
        people = self.people
        seen = len(people.fake.texts_to(self.user_id))
        await people.fake.user_sends(self.user_id, text, display_name=DISPLAY_NAME)
        people.sent += 1
        await wait_until(lambda: people.zalo.processed >= people.sent)
        self._last = people.fake.texts_to(self.user_id)[seen:]
        return "\n".join(self._last)

    def choices(self) -> list[str]:
        return numbered_choices(self._last)


NewPerson = Callable[[], Person]


@pytest.fixture(params=("console", "zalo"))
async def new_person(
    request: pytest.FixtureRequest, app: Runtime, settings: Settings
) -> AsyncIterator[NewPerson]:
    """Makes a new person on the channel of this run, each with their own id."""
    if request.param == "console":
        yield lambda: ConsolePerson(app, f"p{next(_ids)}")
        return
    fake = await FakeZaloApi().start()
    zalo_settings = dataclasses.replace(
        settings, zalo_token=fake.token, zalo_base_url=fake.base_url, zalo_poll_timeout=5, zalo_rate=500
    )
    zalo = ZaloChannel(zalo_settings, app.router)
    await zalo.start()
    people = ZaloPeople(fake, zalo)
    try:
        yield lambda: ZaloPerson(people, f"{next(_ids):020x}")
    finally:
        await zalo.stop()
        await fake.stop()


async def expect_menu(person: Person, shown: str, text: str) -> None:
    """The menu is on screen with ``shown`` among its numbered choices."""
    assert any(shown.casefold() in c.casefold() for c in person.choices()), (shown, text)


async def family(new_person: NewPerson) -> Person:
    """A family of Tổ dân phố 1, Phường Liên Bảo (the demo session's ward), onboarded by typing."""
    person = new_person()
    await person.say("/start")
    await person.say("dong y")
    await person.say("lien bao")
    await person.say("to 1")
    assert "Xong rồi!" in await person.say("dung")
    return person


async def officer(app: Runtime, new_person: NewPerson) -> Person:
    """An officer of Phường Liên Bảo, by an invite typed with /start before consent."""
    invite = await accounts.create_invite(app.services, "officer", DEMO_OFFICER_AREA, by="test")
    person = new_person()
    assert "Bạn có đồng ý không?" in await person.say(f"/start {invite.code}")
    text = await person.say("đồng ý")
    assert "Bạn đã trở thành cán bộ khuyến học phụ trách: Phường Liên Bảo" in text, text
    return person


Row = tuple[str, str, str]  # (shown, typed, chosen)


async def run_rows(
    rows: list[Row],
    reach: Callable[[], Awaitable[Person]],
    check: Callable[[Person, str, str], Awaitable[None]],
) -> None:
    for shown, typed, chosen in rows:
        person = await reach()
        text = "\n".join(person_last(person))
        await expect_menu(person, shown, text)
        answer = await person.say(typed)
        assert chosen in answer, f"{person.channel}: typed {typed!r} at {shown!r}: {answer}"
        await check(person, typed, chosen)


def person_last(person: Person) -> list[str]:
    return person.choices()


async def nothing(person: Person, typed: str, chosen: str) -> None:
    return None


# -- the consent notice -----------------------------------------------------------------------------
CONSENT_ROWS: list[Row] = [
    ("Tôi đồng ý", "1", "phường/xã nào"),
    ("Tôi đồng ý", "dong y", "phường/xã nào"),
    ("Tôi đồng ý", "Đồng ý ạ", "phường/xã nào"),
    ("Tôi đồng ý", "ok", "phường/xã nào"),
    ("Tôi không đồng ý", "ko dong y", "không lưu gì"),
    ("Tôi không đồng ý", "k đồng ý", "không lưu gì"),
    ("Tôi không đồng ý", "chua dong y", "không lưu gì"),
    ("Tôi không đồng ý", "2", "không lưu gì"),
    ("English", "tieng anh", "Do you agree?"),
    ("English", "3", "Do you agree?"),
]


async def test_consent_notice(new_person: NewPerson, app: Runtime) -> None:
    async def reach() -> Person:
        person = new_person()
        await person.say("/start")
        return person

    async def stored(person: Person, typed: str, chosen: str) -> None:
        user = await app.services.store.read.users.by_key(person.key)
        assert (user is not None) == (chosen == "phường/xã nào"), typed

    await run_rows(CONSENT_ROWS, reach, stored)


# -- onboarding: ward, village, confirmation ----------------------------------------------------
AREA_ROWS: list[Row] = [
    ("Phường Liên Bảo", "lien bao", "Phường Liên Bảo: bạn ở thôn/tổ dân phố nào?"),
    ("Phường Liên Bảo", "Liên Bảo", "Phường Liên Bảo: bạn ở thôn/tổ dân phố nào?"),
    ("Phường Đống Đa", "dong da", "Phường Đống Đa: bạn ở thôn/tổ dân phố nào?"),
    ("Phường Hội Hợp", "p hoi hop", "Phường Hội Hợp: bạn ở thôn/tổ dân phố nào?"),
    ("Phường Liên Bảo", "dong", WHICH_ONE),  # Đồng Tâm or Đống Đa
    ("Phường Liên Bảo", "99", "không tìm thấy"),
]


async def test_ward_picker(new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = new_person()
        await person.say("/start")
        await person.say("1")
        return person

    await run_rows(AREA_ROWS, reach, nothing)


VILLAGE_ROWS: list[Row] = [
    ("Tổ dân phố 1", "tdp 2", "Tổ dân phố 2, Phường Liên Bảo"),
    ("Tổ dân phố 1", "to 3", "Tổ dân phố 3, Phường Liên Bảo"),
    ("Tổ dân phố 1", "tổ dân phố số 1", "Tổ dân phố 1, Phường Liên Bảo"),
    ("Tổ dân phố 1", "quay lai", "phường/xã nào"),
    ("Tổ dân phố 1", "to", WHICH_ONE),
]


async def test_village_picker(new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = new_person()
        await person.say("/start")
        await person.say("1")
        await person.say("lien bao")
        return person

    await run_rows(VILLAGE_ROWS, reach, nothing)


CONFIRM_AREA_ROWS: list[Row] = [
    ("Đúng rồi", "dung", "Xong rồi!"),
    ("Đúng rồi", "đúng rồi", "Xong rồi!"),
    ("Đúng rồi", "ok", "Xong rồi!"),
    ("Không, chọn lại", "ko", "phường/xã nào"),
    ("Không, chọn lại", "chon lai", "phường/xã nào"),
    ("Không, chọn lại", "sai", "phường/xã nào"),
    ("Đúng rồi", "co le", "“có” hoặc “không”"),
]


async def test_area_confirmation(new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = new_person()
        await person.say("/start")
        await person.say("1")
        await person.say("lien bao")
        await person.say("to 1")
        return person

    await run_rows(CONFIRM_AREA_ROWS, reach, nothing)


# -- a session's screen, the cancel question, the reminder switch ----------------------------------
SESSION_ROWS: list[Row] = [
    ("Đăng ký", "dk", "Bạn đã đăng ký"),
    ("Đăng ký", "dang ki", "Bạn đã đăng ký"),
    ("Đăng ký", "dky", "Bạn đã đăng ký"),
    ("Đăng ký", "đăng kí", "Bạn đã đăng ký"),
    ("Đăng ký", "cho toi dang ky", "Bạn đã đăng ký"),
    ("Quay lại danh sách", "quay lai", "Các buổi tập huấn sắp tới"),
    ("Đăng ký", "khong dang ky", ASKED_AGAIN),  # negation wins: nothing is signed, the menu again
    ("Đăng ký", "7", "Danh sách không có số 7"),
]


async def test_session_screen(new_person: NewPerson, app: Runtime) -> None:
    async def reach() -> Person:
        person = await family(new_person)
        await person.say("/lichhoc")
        await person.say("1")
        return person

    async def signed(person: Person, typed: str, chosen: str) -> None:
        user = await app.services.store.read.users.by_key(person.key)
        assert user is not None
        mine = await app.services.store.read.sessions.signups.upcoming_for_user(
            user.id, app.services.clock.now()
        )
        assert bool(mine) == (chosen == "Bạn đã đăng ký"), typed

    await run_rows(SESSION_ROWS, reach, signed)


async def test_a_question_on_a_session_screen_goes_to_the_q_and_a(new_person: NewPerson) -> None:
    person = await family(new_person)
    await person.say("/lichhoc")
    await person.say("1")
    text = await person.say("dang ky gia dinh hoc tap o dau?")
    assert "Bạn đã đăng ký" not in text and ASKED_AGAIN not in text
    assert "Nguồn" in text or "chưa chắc" in text


CANCEL_ROWS: list[Row] = [
    ("Có, hủy", "co", "Đã hủy đăng ký buổi"),
    ("Có, hủy", "huy", "Đã hủy đăng ký buổi"),
    ("Không, giữ chỗ", "ko", "chỗ của bạn vẫn được giữ"),
    ("Không, giữ chỗ", "ko huy", "chỗ của bạn vẫn được giữ"),
    ("Không, giữ chỗ", "giu cho", "chỗ của bạn vẫn được giữ"),
]


async def test_cancel_a_place(new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = await family(new_person)
        await person.say("/lichhoc 1")
        await person.say("dang ky")
        await person.say("/huydangky 1")
        return person

    await run_rows(CANCEL_ROWS, reach, nothing)


REMINDER_ROWS: list[Row] = [
    ("Tắt nhắc lịch", "tat", "Đã tắt nhắc lịch"),
    ("Tắt nhắc lịch", "tắt đi", "Đã tắt nhắc lịch"),
    ("Tắt nhắc lịch", "off", "Đã tắt nhắc lịch"),
    ("Tắt nhắc lịch", "1", "Đã tắt nhắc lịch"),
]


async def test_reminder_switch(new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = await family(new_person)
        await person.say("/nhacnho")
        return person

    await run_rows(REMINDER_ROWS, reach, nothing)


# -- officers: the review screen, the class manager, creating a session ------------------------------
async def declared(new_person: NewPerson) -> None:
    """A family of Liên Bảo sends a declaration: a household of one, typed."""
    person = await family(new_person)
    await person.say("/khaibao")
    await person.say("Nguyễn Văn An")
    await person.say("dung")  # the household's area is right
    await person.say("1980")
    await person.say("tu hoc")
    await person.say("co")  # can read and write
    await person.say("doc sach, xong")  # learning activities
    await person.say("du roi")  # nobody else
    await person.say("tu sach, xong")  # learning conditions
    await person.say("thuong xuyen")  # community learning events
    assert "Mời bạn kiểm tra bản khai báo" in await person.say("bo qua")  # no note
    assert "đã được gửi" in await person.say("gui")


REVIEW_ROWS: list[Row] = [
    ("Trả lại, kèm lý do", "tra lai", "Vì sao trả lại bản khai báo"),
    ("Xác nhận", "duyet", "Đã xác nhận bản khai báo"),
    ("Xác nhận", "xac nhan", "Đã xác nhận bản khai báo"),
    ("Quay lại danh sách", "quay lai", "Bản khai báo chờ xem xét"),
]


async def test_review_screen(app: Runtime, new_person: NewPerson) -> None:
    reviewer = await officer(app, new_person)

    async def reach() -> Person:
        await declared(new_person)
        await reviewer.say("/huy")  # leave the reason question a row before may have opened
        await reviewer.say("/duyet")
        await reviewer.say("1")
        return reviewer

    await run_rows(REVIEW_ROWS, reach, nothing)


MANAGER_ROWS: list[Row] = [
    ("Danh sách đăng ký", "danh sach", "Danh sách đăng ký:"),
    ("Danh sách đăng ký", "ds", "Danh sách đăng ký:"),
    ("Điểm danh", "diem danh", "điểm danh"),
    ("Sửa", "sua", "Bạn kiểm tra lại các thay đổi"),
    ("Hủy buổi", "huy buoi", "Hủy buổi tập huấn này?"),
    ("Về danh sách buổi", "quay lai", "Các buổi tập huấn của địa bàn"),
]


async def test_class_manager(app: Runtime, new_person: NewPerson) -> None:
    manager = await officer(app, new_person)

    async def reach() -> Person:
        await manager.say("/huy")
        await manager.say("/quanlylop")
        await manager.say("1")
        return manager

    await run_rows(MANAGER_ROWS, reach, nothing)


SUMMARY_ROWS: list[Row] = [
    ("Tạo buổi tập huấn", "luu", "Đã tạo"),
    ("Tạo buổi tập huấn", "lưu lại", "Đã tạo"),
    ("Sửa một mục", "sua", "Bạn muốn sửa mục nào?"),
    ("Bỏ, không lưu", "bo", "Đã bỏ: không có gì được lưu"),
    ("Bỏ, không lưu", "ko luu", "Đã bỏ: không có gì được lưu"),
    ("Tạo buổi tập huấn", "co le", "Bạn chọn giúp: lưu, sửa một mục, hoặc bỏ"),
]


async def test_session_creation_summary(app: Runtime, new_person: NewPerson) -> None:
    creator = await officer(app, new_person)
    tomorrow = (app.services.clock.now() + timedelta(days=2)).astimezone(app.settings.timezone)

    async def reach() -> Person:
        await creator.say("/huy")
        await creator.say("/taolop")
        await creator.say("Tập huấn tiêu chí Gia đình học tập")
        await creator.say(f"{tomorrow:%d/%m} 8h30")
        await creator.say("2 gio")
        await creator.say("Hội trường UBND phường")
        await creator.say("gia dinh")
        text = await creator.say("to 1")
        if "Có bao nhiêu chỗ" not in text:
            text = await creator.say("1")
        await creator.say("40")
        await creator.say("bo qua")  # no description
        await creator.say("1")  # the usual reminders
        return creator

    await run_rows(SUMMARY_ROWS, reach, nothing)


# -- a menu is live only while it is the last thing shown --------------------------------------------
async def test_a_number_with_no_list_on_screen_is_not_a_question(new_person: NewPerson) -> None:
    person = await family(new_person)
    await person.say("/trogiup")  # no list: the help is plain text
    text = await person.say("5")
    assert "Lúc này không có danh sách nào để chọn theo số" in text and "/lichhoc" in text
    assert "Nguồn" not in text  # not answered from the Q&A (a number matched a date there)


async def test_a_menu_replaced_by_another_screen_is_dead(new_person: NewPerson, app: Runtime) -> None:
    person = await family(new_person)
    await person.say("/lichhoc")
    await person.say("1")  # the session's screen: 1. Đăng ký
    await person.say("cam on")  # a new screen without a list
    text = await person.say("1")
    assert "Lúc này không có danh sách nào để chọn theo số" in text
    user = await app.services.store.read.users.by_key(person.key)
    assert user is not None
    assert not await app.services.store.read.sessions.signups.upcoming_for_user(
        user.id, app.services.clock.now()
    )


async def test_a_form_step_never_takes_a_number_typed_against_a_list_no_longer_shown(
    new_person: NewPerson, app: Runtime
) -> None:
    person = await family(new_person)
    await person.say("/khaibao")
    for answer in ("Trần Văn Bình", "dung", "1980", "tu hoc", "co", "xong", "du roi", "xong", "1"):
        await person.say(answer)
    assert "Mời bạn kiểm tra bản khai báo" in await person.say("bo qua")
    # An unknown command: the help, then the summary again — what "1" means is on screen.
    text = await person.say("/abc")
    assert "Tôi không biết lệnh /abc" in text and "Mời bạn kiểm tra bản khai báo" in text
    # The list saved for the summary is lost (as after an upgrade, or a screen without it):
    store = app.services.store
    user = await store.read.users.by_key(person.key)
    assert user is not None
    state = await store.read.conversations.load(user.id)
    state.menu = []
    async with store.write() as tx:
        await tx.conversations.save(user.id, state, app.services.clock.now())
    text = await person.say("1")
    assert "đã được gửi" not in text and "Mời bạn kiểm tra bản khai báo" in text
    assert await store.read.declarations.for_user(user.id, 2026) is None
    assert "đã được gửi" in await person.say("1")  # now the list is on screen again


async def test_a_question_at_a_step_that_takes_text_is_answered_then_asked_again(
    new_person: NewPerson, app: Runtime
) -> None:
    person = await family(new_person)
    await person.say("/khaibao")
    text = await person.say("tieu chi gia dinh hoc tap la gi?")
    assert "Nguồn" in text and "họ và tên chủ hộ" in text  # answered, then the same step
    assert "Trần" not in text
    await person.say("Trần Văn Bình")
    text = await person.say("tieu chi gia dinh hoc tap la gi?")  # at a yes/no step: no Q&A
    assert "Nguồn" not in text and "“có” hoặc “không”" in text
    user = await app.services.store.read.users.by_key(person.key)
    assert user is not None
    state = await app.services.store.read.conversations.load(user.id)
    assert state.flow == "declare" and state.step == "area" and state.draft["h"] == "Trần Văn Bình"


# -- invites survive consent ---------------------------------------------------------------------------
async def test_an_invite_survives_a_question_and_a_typed_consent(app: Runtime, new_person: NewPerson) -> None:
    invite = await accounts.create_invite(app.services, "officer", DEMO_OFFICER_AREA, by="test")
    person = new_person()
    await person.say(f"/start {invite.code}")
    await person.say("tieu chi gia dinh hoc tap")  # a guest's question, answered without storing
    assert await app.services.store.read.users.by_key(person.key) is None
    text = await person.say("1")  # "Tôi đồng ý", typed
    assert "Bạn đã trở thành cán bộ khuyến học phụ trách: Phường Liên Bảo" in text
    assert "/duyet" in text  # straight to what an officer can do
    text = await person.say(f"/start {invite.code}")  # the same link again: applied once
    assert "Bạn đã dùng lời mời này rồi" in text
    user = await app.services.store.read.users.by_key(person.key)
    assert user is not None and [(r.role, r.area_id) for r in user.roles] == [("officer", DEMO_OFFICER_AREA)]


async def test_a_declined_invite_is_forgotten(app: Runtime, new_person: NewPerson) -> None:
    invite = await accounts.create_invite(app.services, "officer", DEMO_OFFICER_AREA, by="test")
    person = new_person()
    await person.say(f"/start {invite.code}")
    assert "không lưu gì" in await person.say("ko dong y")
    await person.say("/start")
    text = await person.say("dong y")
    assert "phường/xã nào" in text and "cán bộ khuyến học phụ trách" not in text
