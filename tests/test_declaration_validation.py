"""Validation of every step of /khaibao: a wrong answer re-asks the same step and loses nothing."""

from __future__ import annotations

import pytest

from bot import i18n
from bot.bootstrap import Runtime
from bot.choice import Option, match, several, translated
from bot.context import Answer
from bot.flow import Reask, pick
from handlers.declaration import validate
from handlers.declaration.model import ACTIVITIES, LEARNING, RELATIONS
from tests.helpers import Transcript


async def draft_of(app: Runtime) -> tuple[str | None, dict]:
    user = await app.services.store.read.users.by_key("console:fam")
    assert user is not None
    state = await app.services.store.read.conversations.load(user.id)
    return state.step, state.draft


async def wrong(app: Runtime, chat: Transcript, answer: str, hint: str, question: str) -> None:
    """Send a wrong answer: the hint and the same question come back; the draft is unchanged."""
    step_before, draft_before = await draft_of(app)
    text = await chat.send(answer)
    assert hint in text, text
    assert question in text, text
    assert await draft_of(app) == (step_before, draft_before)


# -- the checks themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("nguyễn văn an", "Nguyễn Văn An"),
        ("  Trần   Thị  Bình ", "Trần Thị Bình"),
        ("LÊ VĂN CƯỜNG", "Lê Văn Cường"),
        ("Nguyễn thị Hoà", "Nguyễn thị Hoà"),  # mixed case is kept as typed
        ("nguyen van an", "Nguyen Van An"),  # no accents is fine
    ],
)
def test_names_are_tidied(typed: str, clean: str) -> None:
    assert validate.clean_name(typed) == clean


@pytest.mark.parametrize("typed", ["", "A", "An 123", "An@gmail", "x" * 61, "Nguyễn-Văn-An", "Bố: An"])
def test_bad_names_are_refused(typed: str) -> None:
    with pytest.raises(Reask):
        validate.clean_name(typed)


def test_years_of_birth() -> None:
    assert validate.birth_year("1985", 2026) == 1985
    assert validate.birth_year("sinh năm 1985", 2026) == 1985
    assert validate.birth_year("2026", 2026) == 2026  # a baby born this year
    for typed in ("85", "19855", "1900", "2027", "ngày 1/2/1985", "không nhớ"):
        with pytest.raises(Reask):
            validate.birth_year(typed, 2026)
    with pytest.raises(Reask, match="2011"):
        validate.birth_year("2015", 2026, min_age=15)  # a head of household aged 11


def test_phone_numbers() -> None:
    assert validate.phone_number("0912 345 678") == "0912345678"
    assert validate.phone_number("+84 912.345.678") == "0912345678"
    assert validate.phone_number("84912345678") == "0912345678"
    assert validate.phone_number("(0211) 3862 123") == "02113862123"
    for typed in ("12345", "091234567", "abc", "0912 345 678 999"):
        with pytest.raises(Reask):
            validate.phone_number(typed)


def test_notes_and_reasons() -> None:
    assert validate.note_text("  Cả nhà   đọc sách ") == "Cả nhà đọc sách"
    with pytest.raises(Reask):
        validate.note_text("x" * 501)
    assert validate.reason_text(" Thiếu năm sinh của cháu ") == "Thiếu năm sinh của cháu"
    for typed in ("ok", "x" * 501):
        with pytest.raises(Reask):
            validate.reason_text(typed)


def test_choices_by_button_number_words_or_alias() -> None:
    """The declaration's tables through the kernel's one matcher (numbers come from the list on
    screen, mapped by the router; see tests/test_choice.py)."""

    def typed(text: str, table: tuple[Option, ...]) -> str | None:
        found = match(text, translated(table), numbers=False).chosen
        return found.key if found is not None else None

    def button(payload: str) -> str | None:
        found = pick("rel", Answer("", payload), translated(RELATIONS))
        return found.key if found is not None else None

    with i18n.use("vi"):
        assert button("rel:child") == "child"
        assert button("other:child") is None  # another step's button
        assert match("2", translated(RELATIONS)).chosen == translated(RELATIONS)[1]
        assert typed("2", RELATIONS) is None  # a number typed with no list on screen
        assert typed("con dâu", RELATIONS) == "child_in_law"
        assert typed("Ông nội", RELATIONS) == "grandparent"
        assert typed("vợ", RELATIONS) == "spouse"
        assert typed("không", LEARNING) == "none"
        assert typed("cấp 2", LEARNING) == "lower_sec"
        assert typed("đại học", LEARNING) == "college"
        assert typed("42", LEARNING) is None


def test_several_choices_typed() -> None:
    def keys(text: str) -> tuple[str, ...] | None:
        found = several(text, translated(ACTIVITIES))
        return None if found.unknown or found.ambiguous else found.keys

    with i18n.use("vi"):
        assert keys("1 3 4") == ("course", "reading", "online")
        assert keys("1, 3 và 4") == ("course", "reading", "online")
        assert keys("3 3") == ("reading",)
        assert keys("đọc sách, học trực tuyến") == ("reading", "online")
        assert keys("doc sach va tap huan") == ("reading", "course")
        assert keys("1 9") is None
        assert keys("nhảy dây") is None


# -- every step through the chat --------------------------------------------------------------


async def test_every_step_reasks_after_a_wrong_answer(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send("/khaibao")
    head_q = "họ và tên chủ hộ"
    await wrong(app, chat, "123", "Họ tên không có chữ số", head_q)
    await wrong(app, chat, "A", "từ 2 đến 60 ký tự", head_q)
    await wrong(app, chat, "An <b>", "chỉ gồm chữ cái và dấu cách", head_q)
    await chat.send("Phạm Văn Dũng")

    area_q = "Gia đình ở: Tổ dân phố 1"
    await wrong(app, chat, "có lẽ", "Bạn trả lời “có” hoặc “không”", area_q)  # the yes/no question's hint
    text = await chat.send("khong")  # choose another area
    assert "Gia đình ở phường/xã nào?" in text
    await wrong(app, chat, "99", "Danh sách không có số 99", "Gia đình ở phường/xã nào?")
    text = await chat.send("tich son")
    assert "Phường Tích Sơn: gia đình ở thôn/tổ dân phố nào?" in text
    text = await chat.send("2")  # Tổ dân phố Tích Sơn
    assert "Chủ hộ Phạm Văn Dũng sinh năm nào?" in text

    born_q = "sinh năm nào"
    await wrong(app, chat, "abc", "bốn chữ số", born_q)
    await wrong(app, chat, "1850", "từ 1906 đến 2011", born_q)
    await wrong(app, chat, "2020", "từ 1906 đến 2011", born_q)  # too young to head a household
    await chat.send("1970")

    learn_q = "hiện nay người này đang học gì?"
    await wrong(app, chat, "bơi lội", "Xin lỗi, tôi chưa rõ ý bạn", learn_q)
    await chat.send("9")

    lit_q = "có biết đọc, biết viết không"
    await wrong(app, chat, "có lẽ", "Xin lỗi, tôi chưa rõ ý bạn", lit_q)
    await chat.send("1")

    act_q = "trong 12 tháng qua"
    await wrong(app, chat, "1 9", "Xin lỗi, tôi chưa hiểu", act_q)
    await wrong(app, chat, "nhảy dây", "Xin lỗi, tôi chưa hiểu", act_q)
    # Buttons toggle; the draft keeps the ticks; "Xong" finishes.
    text = await chat.press("act:reading")
    assert "Đã chọn: Đọc sách hoặc báo" in text and "✅ Đọc sách hoặc báo" in text
    text = await chat.press("act:online")
    assert "Đã chọn: Đọc sách hoặc báo, Học trực tuyến trên mạng" in text
    text = await chat.press("act:reading")
    assert "Đã chọn: Học trực tuyến trên mạng" in text
    await wrong(app, chat, "", "", act_q)  # an empty message is not an answer either
    text = await chat.press("act:+done")
    assert "Đã ghi: 1. Chủ hộ, sinh năm 1970." in text

    more_q = "Gia đình còn ai khác cùng sống không?"
    await wrong(app, chat, "có lẽ", "Xin lỗi, tôi chưa rõ ý bạn", more_q)
    await chat.send("1")
    rel_q = "Thành viên thứ 2: người này là gì của chủ hộ Phạm Văn Dũng?"
    await wrong(app, chat, "hàng xóm", "Xin lỗi, tôi chưa rõ ý bạn", rel_q)
    await wrong(app, chat, "12", "Danh sách không có số 12", rel_q)
    await chat.send("con")
    await wrong(app, chat, "2030", "từ 1906 đến 2026", born_q)
    await chat.send("2010")
    await chat.send("cap 3")
    await chat.send("het")

    cond_q = "Gia đình có những điều kiện học tập nào"
    await wrong(app, chat, "7 8", "Xin lỗi, tôi chưa hiểu", cond_q)
    text = await chat.press("cond:+none")
    comm_q = "sinh hoạt học tập ở cộng đồng"
    assert comm_q in text
    await wrong(app, chat, "mỗi ngày", "Xin lỗi, tôi chưa rõ ý bạn", comm_q)
    await chat.send("2")

    note_q = "ghi chú gì cho cán bộ khuyến học"
    await wrong(app, chat, "x" * 600, "Ghi chú hơi dài (600 ký tự)", note_q)
    text = await chat.send("1")  # skip
    summary_q = "Mời bạn kiểm tra bản khai báo"
    assert summary_q in text and "Điều kiện học tập ở nhà: chưa có" in text

    await wrong(app, chat, "sửa", "Bạn muốn sửa phần nào?", summary_q)
    await wrong(app, chat, "bla bla", "Xin lỗi, tôi chưa rõ ý bạn", summary_q)
    await wrong(app, chat, "sửa 42", "Xin lỗi, tôi chưa rõ ý bạn", summary_q)

    await chat.send("sua so dien thoai")
    phone_q = "gõ số điện thoại để cán bộ khuyến học liên hệ"
    await wrong(app, chat, "12345", "chưa đúng là số điện thoại", phone_q)
    text = await chat.send("0912 345 678")
    assert "Số điện thoại liên hệ: 0912345678" in text
    await chat.send("sua so dien thoai")
    text = await chat.send("không")  # take it back
    assert "Số điện thoại liên hệ: không để lại" in text

    await chat.send("sua thanh vien")
    members_q = "Bạn muốn sửa thông tin thành viên nào?"
    await wrong(app, chat, "9", "Danh sách không có số 9", members_q)
    text = await chat.send("1")
    member_q = "Bạn muốn làm gì với thành viên 1. Chủ hộ, sinh năm 1970?"
    assert member_q in text and "Bỏ người này" not in text  # the head cannot be removed
    await wrong(app, chat, "xoa", "Không thể bỏ chủ hộ", member_q)
    await chat.send("quay lai")
    await chat.send("2")
    text = await chat.send("bo")
    assert "Đã bỏ: 2. Con, sinh năm 2010." in text and members_q in text
    text = await chat.send("quay lai ban tom tat")
    assert "Thành viên (1 người)" in text

    await chat.send("sua ten chu ho")
    await wrong(app, chat, "Dũng 2", "Họ tên không có chữ số", "(Hiện ghi: Phạm Văn Dũng.)")
    text = await chat.send("Phạm Văn Dũng")
    assert summary_q in text
    text = await chat.send("gui")
    assert "đã được gửi" in text


async def test_an_old_button_outside_its_step_is_refused(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send("/khaibao")
    await chat.send("Phạm Văn Dũng")
    await chat.send("1")
    text = await chat.press("learn:college")  # a button of a later step, pressed too early
    assert "bốn chữ số" in text and "sinh năm nào" in text
    await chat.send("1970")
    text = await chat.press("act:reading")  # a button of another step
    assert "Xin lỗi, tôi chưa rõ ý bạn" in text and "đang học gì" in text
