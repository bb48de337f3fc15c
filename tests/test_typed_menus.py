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
from bot.text import fold
from handlers.training import service as training
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
    ("Tôi đồng ý", "dc chau", "phường/xã nào"),  # "được, cháu": a form of address left out
    ("Tôi đồng ý", "dạ vâng, bác đồng ý ạ", "phường/xã nào"),
    ("Tôi không đồng ý", "ko dong y", "không lưu gì"),
    ("Tôi không đồng ý", "hk đồng ý đâu", "không lưu gì"),  # "đâu" after a negation: "at all"
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
    ("Phường Liên Bảo", "99", "Danh sách không có số 99"),
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
    ("Đăng ký", "cho bác đăng ký với nhé", "Bạn đã đăng ký"),  # a polite frame around the verb
    ("Đăng ký", "con dang ky a", "Bạn đã đăng ký"),
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
    ("Tắt nhắc lịch", "ko can nhac nua", "Đã tắt nhắc lịch"),  # "không cần … nữa" = "không …"
    ("Tắt nhắc lịch", "thoi dung nhac nua", "Đã tắt nhắc lịch"),
    ("Tắt nhắc lịch", "ko tat", ASKED_AGAIN),  # negating the option's own verb: not that option
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
    ("Tạo buổi tập huấn", "co le", "Bạn vui lòng chọn: lưu, sửa một mục, hoặc bỏ"),
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
    # An unknown command: the help, and "go on" — the summary's "1" is off screen and stays dead.
    text = await person.say("/abc")
    assert "Tôi không biết lệnh /abc" in text and "Mời bạn kiểm tra bản khai báo" not in text
    assert "Bạn đang làm dở: khai báo học tập của gia đình" in text and "Làm tiếp" in text
    text = await person.say("1")  # "Làm tiếp": the summary again, nothing sent
    assert "Mời bạn kiểm tra bản khai báo" in text and "đã được gửi" not in text
    # After the help, the form's question is shown again: its list is live.
    text = await person.say("/trogiup")
    assert "Mời bạn kiểm tra bản khai báo" in text and person.choices()[0] == "Gửi bản khai báo"
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


# -- the declaration form, step by step -----------------------------------------------------------
FORM_TO_MORE = ("/khaibao", "Trần Văn Bình", "dung", "1980", "tu hoc", "co", "xong")
FORM_TO_COMM = (*FORM_TO_MORE, "du roi", "xong")
FORM_TO_SUMMARY = (*FORM_TO_COMM, "thuong xuyen", "bo qua")


last_person: list[Person] = []


async def in_form(new_person: NewPerson, answers: tuple[str, ...]) -> Person:
    person = await family(new_person)
    last_person[:] = [person]
    for answer in answers:
        await person.say(answer)
    return person


async def draft_of(app: Runtime, person: Person) -> dict:
    user = await app.services.store.read.users.by_key(person.key)
    assert user is not None
    return (await app.services.store.read.conversations.load(user.id)).draft


MORE_ROWS: list[Row] = [
    ("Thêm thành viên", "them", "Thành viên thứ 2"),
    ("Thêm thành viên", "co", "Thành viên thứ 2"),
    ("Thêm thành viên", "còn", "Thành viên thứ 2"),
    ("Đã đủ, không còn ai", "ko", "điều kiện học tập nào"),
    ("Đã đủ, không còn ai", "het", "điều kiện học tập nào"),
    ("Đã đủ, không còn ai", "khong con ai", "điều kiện học tập nào"),
    ("Đã đủ, không còn ai", "du roi", "điều kiện học tập nào"),
]


async def test_declaration_anyone_else(new_person: NewPerson) -> None:
    await run_rows(MORE_ROWS, lambda: in_form(new_person, FORM_TO_MORE), nothing)


RELATION_ROWS: list[Row] = [
    ("Vợ hoặc chồng", "vợ", "2. Vợ hoặc chồng: người này sinh năm nào?"),
    ("Vợ hoặc chồng", "chong", "2. Vợ hoặc chồng: người này sinh năm nào?"),
    ("Con", "con gai", "2. Con: người này sinh năm nào?"),
    ("Con dâu hoặc con rể", "con dau", "2. Con dâu hoặc con rể: người này sinh năm nào?"),
    ("Ông hoặc bà", "ong noi", "2. Ông hoặc bà: người này sinh năm nào?"),
    ("Bố hoặc mẹ", "me", "2. Bố hoặc mẹ: người này sinh năm nào?"),
    ("Anh, chị hoặc em", "em", "2. Anh, chị hoặc em: người này sinh năm nào?"),
    ("Cháu", "cháu ngoại", "2. Cháu: người này sinh năm nào?"),
    ("Vợ hoặc chồng", "hàng xóm", "Xin lỗi, tôi chưa rõ ý bạn"),
]


async def test_declaration_relation(new_person: NewPerson) -> None:
    await run_rows(RELATION_ROWS, lambda: in_form(new_person, (*FORM_TO_MORE, "them")), nothing)


LEARNING_ROWS: list[Row] = [
    ("Tự học", "tu hoc", "l=self_study"),
    ("Cao đẳng, đại học", "dai hoc", "l=college"),
    ("Cao đẳng, đại học", "đh", "l=college"),
    ("Hiện không đi học", "khong", "l=none"),
    ("Hiện không đi học", "ko di hoc", "l=none"),
    ("Trung học cơ sở (cấp 2)", "cap 2", "l=lower_sec"),
    ("Không thể học (do sức khỏe hoặc khuyết tật)", "khuyet tat", "l=unable"),
    ("Tự học", "hoc", "Bạn muốn chọn mục nào?"),  # several fit: which one?
]


async def test_declaration_learning(app: Runtime, new_person: NewPerson) -> None:
    for shown, typed, chosen in LEARNING_ROWS:
        stored = chosen.removeprefix("l=") if chosen.startswith("l=") else None
        reach = lambda: in_form(new_person, FORM_TO_MORE[:4])  # noqa: E731
        await run_rows([(shown, typed, "" if stored else chosen)], reach, nothing)
        if stored:
            person_draft = await draft_of(app, last_person[0])
            member = person_draft.get("cur") or person_draft["m"][0]
            assert member["l"] == stored, typed


CHECKLIST_ROWS: list[Row] = [
    # A typed message is the whole answer: the list becomes what it names, and the form goes on.
    ("Đọc sách hoặc báo", "3", "Đã chọn: Đọc sách hoặc báo\nĐã ghi: 1. Chủ hộ"),
    ("Đọc sách hoặc báo", "doc sach", "Đã chọn: Đọc sách hoặc báo\nĐã ghi: 1. Chủ hộ"),
    ("Lớp tập huấn hoặc bồi dưỡng", "1 3", "Đã chọn: Lớp tập huấn hoặc bồi dưỡng, Đọc sách hoặc báo"),
    ("Lớp tập huấn hoặc bồi dưỡng", "1,3", "Đã chọn: Lớp tập huấn hoặc bồi dưỡng, Đọc sách hoặc báo"),
    ("Lớp tập huấn hoặc bồi dưỡng", "1 và 3", "Đã chọn: Lớp tập huấn hoặc bồi dưỡng, Đọc sách hoặc báo"),
    ("Đọc sách hoặc báo", "doc sach, hoc tren mang", "Đã chọn: Đọc sách hoặc báo, Học trực tuyến trên mạng"),
    ("Xong", "xong", "Đã ghi: 1. Chủ hộ, sinh năm 1980."),
    ("Xong", "7", "Đã ghi: 1. Chủ hộ, sinh năm 1980."),
    ("Không có mục nào", "khong co muc nao", "Đã ghi: 1. Chủ hộ, sinh năm 1980."),
    ("Đọc sách hoặc báo", "3 xong", "Đã ghi: 1. Chủ hộ, sinh năm 1980."),
    ("Đọc sách hoặc báo", "1 9", "Xin lỗi, tôi chưa hiểu “9”"),
    ("Không có mục nào", "1 6", "“Không có mục nào” thì không chọn thêm"),
]
CHECKLIST_DRAFT = {
    "3": ["reading"],
    "doc sach": ["reading"],
    "1 3": ["course", "reading"],
    "1,3": ["course", "reading"],
    "1 và 3": ["course", "reading"],
    "doc sach, hoc tren mang": ["reading", "online"],
    "xong": [],
    "7": [],
    "khong co muc nao": [],
    "3 xong": ["reading"],
}


async def test_declaration_checklist(app: Runtime, new_person: NewPerson) -> None:
    async def stored(person: Person, typed: str, chosen: str) -> None:
        draft = await draft_of(app, person)
        if typed in CHECKLIST_DRAFT:
            assert draft["m"][0]["a"] == CHECKLIST_DRAFT[typed], typed
        else:  # asked again: nothing chosen yet
            assert draft["cur"].get("a", []) == [], typed

    await run_rows(CHECKLIST_ROWS, lambda: in_form(new_person, FORM_TO_MORE[:6]), stored)


COMMUNITY_ROWS: list[Row] = [
    ("Thường xuyên (nhiều lần trong năm)", "thuong xuyen", "ghi chú"),
    ("Thỉnh thoảng (1–2 lần)", "thinh thoang", "ghi chú"),
    ("Năm nay chưa tham gia", "chua", "ghi chú"),
    ("Năm nay chưa tham gia", "chưa tham gia", "ghi chú"),
    ("Năm nay chưa tham gia", "ko", "ghi chú"),
]


async def test_declaration_community(app: Runtime, new_person: NewPerson) -> None:
    expected = {"thuong xuyen": "often", "thinh thoang": "sometimes"}

    async def stored(person: Person, typed: str, chosen: str) -> None:
        assert (await draft_of(app, person))["e"] == expected.get(typed, "never"), typed

    await run_rows(COMMUNITY_ROWS, lambda: in_form(new_person, FORM_TO_COMM), stored)


SUMMARY_FORM_ROWS: list[Row] = [
    ("Gửi bản khai báo", "gui", "đã được gửi"),
    ("Gửi bản khai báo", "nộp", "đã được gửi"),
    ("Gửi bản khai báo", "1", "đã được gửi"),
    ("Sửa tên chủ hộ", "sua ten", "họ và tên chủ hộ"),
    ("Sửa thành viên", "sua 4", "thành viên nào"),
    ("Sửa địa bàn", "sua dia ban", "phường/xã nào"),
    ("Sửa ghi chú", "sua ghi chu", "ghi chú gì"),
    ("Gửi bản khai báo", "ko gui", "Xin lỗi, tôi chưa rõ ý bạn"),
]


async def test_declaration_summary(app: Runtime, new_person: NewPerson) -> None:
    async def sent(person: Person, typed: str, chosen: str) -> None:
        user = await app.services.store.read.users.by_key(person.key)
        assert user is not None
        declaration = await app.services.store.read.declarations.for_user(user.id, 2026)
        assert (declaration is not None) == (chosen == "đã được gửi"), typed

    await run_rows(SUMMARY_FORM_ROWS, lambda: in_form(new_person, FORM_TO_SUMMARY), sent)


# -- announcements ------------------------------------------------------------------------------------
AUDIENCE_ROWS: list[Row] = [
    ("Mọi người ở Phường Liên Bảo", "moi nguoi", "kind=area"),
    ("Các gia đình đã khai báo", "da khai bao", "kind=declared"),
    ("Các gia đình chưa khai báo", "chua khai bao", "kind=not_declared"),
    ("Một thôn/tổ dân phố", "mot thon", "Thôn/tổ dân phố nào?"),
    ("Người đã đăng ký một buổi tập huấn", "buoi tap huan", "Buổi nào?"),
]


async def test_broadcast_audience(app: Runtime, new_person: NewPerson) -> None:
    author = await officer(app, new_person)

    async def reach() -> Person:
        await author.say("/huy")
        await author.say("/thongbao")
        return author

    for shown, typed, chosen in AUDIENCE_ROWS:
        shows = "Gõ nội dung thông báo" if chosen.startswith("kind=") else chosen
        await run_rows([(shown, typed, shows)], reach, nothing)
        if chosen.startswith("kind="):
            assert (await draft_of(app, author))["kind"] == chosen[5:], typed


PART_ROWS: list[Row] = [
    ("Tổ dân phố 1", "to 2", "lien_bao.tdp2"),
    ("Tổ dân phố 1", "tdp 3", "lien_bao.tdp3"),
    ("Tổ dân phố 1", "tổ dân phố 1", "lien_bao.tdp1"),
]


async def test_broadcast_village(app: Runtime, new_person: NewPerson) -> None:
    author = await officer(app, new_person)

    async def reach() -> Person:
        await author.say("/huy")
        await author.say("/thongbao")
        await author.say("mot thon")
        return author

    for shown, typed, area in PART_ROWS:
        await run_rows([(shown, typed, "Gõ nội dung thông báo")], reach, nothing)
        assert (await draft_of(app, author))["area"] == area, typed


WHEN_ROWS: list[Row] = [
    ("Không kèm ảnh", "khong kem anh", "Gửi lúc nào?"),
    ("Không kèm ảnh", "ko", "Gửi lúc nào?"),
    ("Không kèm ảnh", "bo qua", "Gửi lúc nào?"),
    ("Không kèm ảnh", "bo", "Gửi lúc nào?"),  # "bỏ" at an optional step: leave it out
]
SEND_ROWS: list[Row] = [
    ("Gửi ngay", "gui ngay", "Xem trước"),
    ("Gửi ngay", "ngay", "Xem trước"),
    ("Gửi ngay", "gui luon", "Xem trước"),
    ("Hẹn giờ", "hen gio", "Gõ ngày giờ"),
    ("Hẹn giờ", "8h30 28/11", "Xem trước"),
]
CONFIRM_SEND_ROWS: list[Row] = [
    ("Gửi", "gui", "Đang gửi thông báo"),
    ("Sửa nội dung", "sua", "Gõ nội dung thông báo"),
    ("Hủy", "thoi", "Thông báo chưa được gửi"),
    ("Hủy", "ko gui", "Thông báo chưa được gửi"),
]


async def test_broadcast_picture_time_and_confirmation(app: Runtime, new_person: NewPerson) -> None:
    author = await officer(app, new_person)

    async def to_photo() -> Person:
        for answer in ("/huy", "/thongbao", "moi nguoi", "Họp tổ dân phố tối thứ Sáu lúc 19h30."):
            await author.say(answer)
        return author

    async def to_when() -> Person:
        await to_photo()
        await author.say("khong kem anh")
        return author

    async def to_confirm() -> Person:
        await to_when()
        await author.say("gui ngay")
        return author

    await run_rows(WHEN_ROWS, to_photo, nothing)
    await run_rows(SEND_ROWS, to_when, nothing)
    await run_rows(CONFIRM_SEND_ROWS, to_confirm, nothing)


# -- one's own data and language --------------------------------------------------------------------
DELETE_ROWS: list[Row] = [
    ("Không, giữ lại", "ko", "Chưa xóa gì"),
    ("Không, giữ lại", "ko xoa", "Chưa xóa gì"),
    ("Không, giữ lại", "giu lai", "Chưa xóa gì"),
    ("Có, xóa dữ liệu của tôi", "của", "“có” hoặc “không”"),
    ("Có, xóa dữ liệu của tôi", "co", "dữ liệu của bạn đã được xóa"),
]


async def test_delete_my_data(app: Runtime, new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = await family(new_person)
        await person.say("/xoadulieu")
        return person

    async def kept(person: Person, typed: str, chosen: str) -> None:
        user = await app.services.store.read.users.by_key(person.key)
        assert (user is None) == (chosen == "dữ liệu của bạn đã được xóa"), typed

    await run_rows(DELETE_ROWS, reach, kept)


LANGUAGE_ROWS: list[Row] = [
    ("English", "english", "From now on I will write to you in English."),
    ("English", "tieng anh", "From now on I will write to you in English."),
    ("Tiếng Việt", "tiếng việt", "Từ giờ tôi sẽ trả lời bạn bằng tiếng Việt."),
]


async def test_language(new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = await family(new_person)
        await person.say("/ngonngu")
        return person

    await run_rows(LANGUAGE_ROWS, reach, nothing)


async def test_a_new_question_after_an_answer_is_a_question(new_person: NewPerson) -> None:
    """Topics offered after an answer are a menu too, but a new question sharing a word or two
    with them is answered, not met with the menu again."""
    person = await family(new_person)
    text = await person.say("tieu chi gia dinh hoc tap")
    assert "Gia đình học tập: tiêu chí" in text and person.choices()
    text = await person.say("gia dinh van hoa")
    assert ASKED_AGAIN not in text and "Gia đình văn hóa" in text


# -- round 2: the signed-up screen, literacy, stopping a form ------------------------------------------
SIGNED_UP_ROWS: list[Row] = [
    ("Hủy đăng ký", "huy dang ky", "Hủy đăng ký buổi"),
    ("Hủy đăng ký", "thoi khong di nua", "Hủy đăng ký buổi"),
    ("Hủy đăng ký", "ko huy", ASKED_AGAIN),  # "don't cancel" is never "Hủy đăng ký"
    ("Quay lại danh sách", "quay lai", "Các buổi tập huấn sắp tới"),
]


async def test_signed_up_screen(new_person: NewPerson, app: Runtime) -> None:
    async def reach() -> Person:
        person = await family(new_person)
        await person.say("/lichhoc 1")
        assert "Bạn đã đăng ký" in await person.say("dang ky")
        return person

    async def still_signed(person: Person, typed: str, chosen: str) -> None:
        user = await app.services.store.read.users.by_key(person.key)
        assert user is not None  # asking whether to cancel changes nothing yet
        assert await app.services.store.read.sessions.signups.upcoming_for_user(
            user.id, app.services.clock.now()
        ), typed

    await run_rows(SIGNED_UP_ROWS, reach, still_signed)


LITERACY_ROWS: list[Row] = [
    ("Có", "co", "trong 12 tháng qua"),
    ("Có", "biet chu", "trong 12 tháng qua"),
    ("Không", "ko biet chu", "trong 12 tháng qua"),  # "biết" inside a negation
    ("Không", "mu chu", "trong 12 tháng qua"),
    ("Không", "chua biet doc", "trong 12 tháng qua"),
]


async def test_declaration_literacy(app: Runtime, new_person: NewPerson) -> None:
    async def stored(person: Person, typed: str, chosen: str) -> None:
        literate = typed in ("co", "biet chu")
        assert (await draft_of(app, person))["cur"]["lit"] is literate, typed

    await run_rows(LITERACY_ROWS, lambda: in_form(new_person, FORM_TO_MORE[:5]), stored)


async def test_an_answer_that_says_stop_stops_the_form_and_it_can_go_on(
    new_person: NewPerson, app: Runtime
) -> None:
    for typed in ("thoi, khong khai nua", "thôi", "bác không khai nữa đâu"):
        person = await in_form(new_person, FORM_TO_MORE[:3])  # the year of birth is asked
        text = await person.say(typed)
        assert "Tôi đã dừng việc khai báo học tập của gia đình" in text and "Làm tiếp" in text, typed
        user = await app.services.store.read.users.by_key(person.key)
        assert user is not None
        assert (await app.services.store.read.conversations.load(user.id)).flow is None
        text = await person.say("lam tiep")  # what was entered is kept
        assert "Chủ hộ Trần Văn Bình sinh năm nào?" in text, typed
        assert "Đã ghi: 1. Chủ hộ, sinh năm 1980." not in await person.say("1980")
        state = await app.services.store.read.conversations.load(user.id)
        assert state.flow == "declare" and state.draft["h"] == "Trần Văn Bình"
    person = await in_form(new_person, FORM_TO_MORE[:3])
    text = await person.say("ko biet")  # not a stop: the question again
    assert "bốn chữ số" in text and "Tôi đã dừng" not in text


# -- creating a session: every step with a menu, typed ------------------------------------------------
def session_answers(app: Runtime) -> list[str]:
    start = (app.services.clock.now() + timedelta(days=2)).astimezone(app.settings.timezone)
    return [
        "/taolop",
        "Tập huấn tiêu chí Gia đình học tập",
        f"{start:%d/%m} 8h30",
        "2 gio",
        "Hội trường UBND phường",
        "gia dinh",
        "to 1",
        "40",
        "bo qua",
        "1",
    ]


async def creating(app: Runtime, creator: Person, answers: int) -> Person:
    """The officer, /huy, then the first ``answers`` answers of creating a session."""
    await creator.say("/huy")
    for answer in session_answers(app)[:answers]:
        await creator.say(answer)
    return creator


SESSION_STEP_ROWS: dict[int, list[tuple[str, str, str, str, object]]] = {
    # answers typed before: [(shown, typed, what comes next, draft key, value)]
    3: [
        ("Nửa ngày (4 giờ)", "nua ngay", "Tổ chức ở đâu?", "duration", 240),
        ("2 giờ", "2 tieng", "Tổ chức ở đâu?", "duration", 120),
        ("1 giờ", "90 phut", "Tổ chức ở đâu?", "duration", 90),
    ],
    5: [
        ("gia đình", "nguoi dan", "địa bàn nào", "audience", "family"),
        ("cán bộ", "cb", "địa bàn nào", "audience", "officer"),
        ("mọi người", "ca hai", "địa bàn nào", "audience", "all"),
    ],
    6: [
        ("Tổ dân phố 1", "tdp 2", "Có bao nhiêu chỗ?", "area", "lien_bao.tdp2"),
        ("Phường Liên Bảo", "lien bao", "Có bao nhiêu chỗ?", "area", "lien_bao"),
        ("Tổ dân phố 1", "to 9", "Tôi không tìm thấy địa bàn đó", "area", None),
    ],
    8: [
        ("Bỏ qua", "bo qua", "Nhắc người đã đăng ký", "description", ""),
        ("Bỏ qua", "khong", "Nhắc người đã đăng ký", "description", ""),
        ("Bỏ qua", "Mang theo sổ tay", "Nhắc người đã đăng ký", "description", "Mang theo sổ tay"),
    ],
    9: [
        ("Thường dùng", "nhu moi khi", "Bạn kiểm tra lại thông tin buổi tập huấn", "offsets", [1440, 120]),
        ("Không nhắc", "ko can nhac", "Bạn kiểm tra lại thông tin buổi tập huấn", "offsets", []),
        ("Thường dùng", "3 ngay, 2 gio", "Bạn kiểm tra lại thông tin buổi tập huấn", "offsets", [4320, 120]),
    ],
}


async def test_session_creation_steps(app: Runtime, new_person: NewPerson) -> None:
    creator = await officer(app, new_person)
    for answers, rows in SESSION_STEP_ROWS.items():
        for shown, typed, following, key, value in rows:
            await run_rows([(shown, typed, following)], lambda n=answers: creating(app, creator, n), nothing)
            assert (await draft_of(app, creator)).get(key) == value, typed


FIELD_ROWS: list[Row] = [
    ("Tên buổi", "ten", "Tên buổi tập huấn là gì?"),
    ("Bắt đầu", "doi gio", "Buổi bắt đầu lúc nào?"),
    ("Số chỗ", "so cho", "Có bao nhiêu chỗ?"),
    ("Nhắc lịch", "nhac nho", "Nhắc người đã đăng ký vào lúc nào?"),
    ("Địa bàn", "dia ban", "Buổi này của địa bàn nào?"),
    ("Tên buổi", "12", "Danh sách không có số 12"),
]


async def test_session_creation_what_to_change(app: Runtime, new_person: NewPerson) -> None:
    creator = await officer(app, new_person)

    async def reach() -> Person:
        await creating(app, creator, 10)
        assert "Bạn muốn sửa mục nào?" in await creator.say("sua")
        return creator

    await run_rows(FIELD_ROWS, reach, nothing)


async def new_session(app: Runtime, title: str, hours: float = 72, area: str = DEMO_OFFICER_AREA) -> int:
    data = training.SessionInput(
        title=title,
        starts_at=app.services.clock.now() + timedelta(hours=hours),
        duration_min=120,
        place="Nhà văn hóa",
        audience="family",
        area_id=area,
        capacity=30,
        description="",
        reminder_offsets=(),
    )
    return (await training.create_session(app.services, data, "test")).id


CANCEL_SESSION_ROWS: list[tuple[str, str, str, str]] = [
    ("Không, giữ lại", "ko", "vẫn giữ nguyên", "Lớp Cam"),
    ("Không, giữ lại", "giu lai", "vẫn giữ nguyên", "Lớp Cam"),
    ("Không, giữ lại", "ko huy", "vẫn giữ nguyên", "Lớp Cam"),
    ("Có, hủy buổi này", "huy", "Đã hủy buổi tập huấn", "Lớp Cam"),
    ("Có, hủy buổi này", "co", "Đã hủy buổi tập huấn", "Lớp Đào"),
]


async def test_cancel_session_confirmation(app: Runtime, new_person: NewPerson) -> None:
    manager = await officer(app, new_person)
    ids = {title: await new_session(app, title) for title in ("Lớp Cam", "Lớp Đào")}
    for shown, typed, chosen, title in CANCEL_SESSION_ROWS:

        async def reach(title: str = title) -> Person:
            await manager.say("/huy")
            await manager.say("/quanlylop")
            assert f"Quản lý buổi tập huấn số {ids[title]}" in await manager.say(title.lower())
            assert "Hủy buổi tập huấn này?" in await manager.say("huy buoi")
            return manager

        await run_rows([(shown, typed, chosen)], reach, nothing)
        session = await app.services.store.read.sessions.get(ids[title])
        assert session is not None and session.cancelled == chosen.startswith("Đã hủy"), typed


# -- the declaration's members and one member, from the summary ---------------------------------------
FORM_OF_TWO = (*FORM_TO_MORE, "them", "con", "2015", "tieu hoc", "du roi", "xong", "thuong xuyen", "bo qua")

MEMBERS_ROWS: list[Row] = [
    ("Con, sinh năm 2015", "con", "thành viên 2. Con, sinh năm 2015?"),
    ("Con, sinh năm 2015", "2015", "thành viên 2. Con, sinh năm 2015?"),  # the year names the member
    ("Chủ hộ, sinh năm 1980", "chu ho", "thành viên 1. Chủ hộ, sinh năm 1980?"),
    ("Thêm thành viên", "them nguoi", "Thành viên thứ 3"),
    ("Quay lại bản tóm tắt", "quay lai", "Mời bạn kiểm tra bản khai báo"),
    ("Con, sinh năm 2015", "1990", "Danh sách không có số 1990"),
]


async def test_declaration_members(new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = await in_form(new_person, FORM_OF_TWO)
        assert "Bạn muốn sửa thông tin thành viên nào?" in await person.say("sua thanh vien")
        return person

    await run_rows(MEMBERS_ROWS, reach, nothing)


MEMBER_ROWS: list[Row] = [
    ("Sửa thông tin người này", "sua", "người này là gì của chủ hộ"),
    ("Bỏ người này khỏi danh sách", "xoa", "Đã bỏ: 2. Con, sinh năm 2015."),
    ("Bỏ người này khỏi danh sách", "bo nguoi nay", "Đã bỏ: 2. Con, sinh năm 2015."),
    ("Quay lại", "quay lai", "Bạn muốn sửa thông tin thành viên nào?"),
    ("Bỏ người này khỏi danh sách", "ko xoa", "Xin lỗi, tôi chưa rõ ý bạn"),
]


async def test_declaration_one_member(app: Runtime, new_person: NewPerson) -> None:
    async def reach() -> Person:
        person = await in_form(new_person, FORM_OF_TWO)
        await person.say("sua thanh vien")
        assert "Bạn muốn làm gì với thành viên 2. Con" in await person.say("con")
        return person

    async def members(person: Person, typed: str, chosen: str) -> None:
        removed = chosen.startswith("Đã bỏ")
        assert len((await draft_of(app, person))["m"]) == (1 if removed else 2), typed

    await run_rows(MEMBER_ROWS, reach, members)


# -- officers' other lists: attendance, reports, invites; a family's sign-ups; Q&A topics -------------
ATTENDANCE_ROWS: list[Row] = [
    ("Trần Văn Hùng", "hung", "✅ Trần Văn Hùng"),
    ("Lê Thị Mai", "le thi mai", "✅ Lê Thị Mai"),
    ("Trần Văn Hùng", "tran van hung", "❌ Trần Văn Hùng"),  # present → absent
    ("Xong", "xong", "Quản lý buổi tập huấn số"),
    ("Trần Văn Hùng", "tran mai", ASKED_AGAIN),  # words of two names: which one?
]


async def test_attendance_list(app: Runtime, new_person: NewPerson) -> None:
    manager = await officer(app, new_person)
    session_id = await new_session(app, "Lớp Sen", hours=1)
    now = app.services.clock.now()
    for number, name in enumerate(("Trần Văn Hùng", "Lê Thị Mai")):
        async with app.services.store.write() as tx:
            user = await tx.users.create(
                key=f"console:att{number}",
                channel="console",
                chat_id=f"att{number}",
                display_name=name,
                language="vi",
                now=now,
            )
            await tx.users.set_area(user.id, "lien_bao.tdp1", now)
        await training.sign_up(app.services, user, session_id)

    async def reach() -> Person:
        await manager.say("/huy")
        await manager.say("/quanlylop")
        await manager.say("lop sen")
        assert "Điểm danh: Lớp Sen" in await manager.say("diem danh")
        return manager

    await run_rows(ATTENDANCE_ROWS, reach, nothing)


REPORT_ROWS: list[Row] = [
    ("Tổ dân phố 1", "to 2", "Thống kê theo tuần — Tổ dân phố 2"),
    ("Tổ dân phố 1", "tdp 3", "Thống kê theo tuần — Tổ dân phố 3"),
    ("52 tuần gần nhất", "52 tuan", "52 tuần gần nhất:"),
    ("Tệp Excel và CSV", "xuat excel", "Tệp Excel: mỗi cách chia số liệu"),
    ("Tổ dân phố 1", "to 7", ASKED_AGAIN),  # no Tổ 7: the list again, not the Q&A
]


async def test_report_buttons(app: Runtime, new_person: NewPerson) -> None:
    viewer = await officer(app, new_person)

    async def reach() -> Person:
        await viewer.say("/huy")
        assert "Thống kê theo tuần — Phường Liên Bảo" in await viewer.say("/thongke")
        return viewer

    await run_rows(REPORT_ROWS, reach, nothing)


INVITE_ROWS: list[Row] = [
    ("Phường Liên Bảo", "lien bao", "Lời mời cán bộ khuyến học của Phường Liên Bảo"),
    ("Phường Đống Đa", "p dong da", "Lời mời cán bộ khuyến học của Phường Đống Đa"),
    ("Phường Liên Bảo", "dong", WHICH_ONE),
    ("Phường Liên Bảo", "99", "Danh sách không có số 99"),
]


async def test_invite_ward_buttons(app: Runtime, new_person: NewPerson) -> None:
    invite = await accounts.create_invite(app.services, "admin", None, by="test")
    admin = new_person()
    await admin.say(f"/start {invite.code}")
    assert "quản trị viên" in await admin.say("dong y")

    async def reach() -> Person:
        await admin.say("/huy")
        assert "Cán bộ mới phụ trách địa bàn nào?" in await admin.say("/moi")
        return admin

    await run_rows(INVITE_ROWS, reach, nothing)


CANCEL_LIST_ROWS: list[Row] = [
    ("Lớp Cam", "lop cam", "Hủy đăng ký buổi Lớp Cam?"),
    ("Hội nghị tập huấn", "hoi nghi", "Hủy đăng ký buổi Hội nghị tập huấn"),
    ("Lớp Cam", "7", "Danh sách không có số 7"),
]


async def test_cancel_sign_up_list(app: Runtime, new_person: NewPerson) -> None:
    other = await new_session(app, "Lớp Cam")

    async def reach() -> Person:
        person = await family(new_person)
        for session_id in (1, other):
            await person.say(f"/lichhoc {session_id}")
            assert "Bạn đã đăng ký" in await person.say("dang ky")
        assert "Bạn muốn hủy đăng ký buổi nào?" in await person.say("/huydangky")
        return person

    await run_rows(CANCEL_LIST_ROWS, reach, nothing)


async def test_faq_topic_buttons(new_person: NewPerson) -> None:
    """The topics offered after an answer: by number, or by the words of a title."""
    person = await family(new_person)
    await person.say("tieu chi gia dinh hoc tap")
    topics = person.choices()
    assert len(topics) >= 2, topics
    text = await person.say("2")
    assert text.startswith(topics[1]) or f"\n{topics[1]}" in text, (topics[1], text)
    await person.say("tieu chi gia dinh hoc tap")
    title = person.choices()[0]
    typed = fold(title).replace(":", " ").replace(",", " ")
    text = await person.say(typed)
    assert title in text and ASKED_AGAIN not in text, (typed, text)
