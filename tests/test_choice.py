"""The one matcher for every choice (bot.choice): what is shown, what is typed, what is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.choice import (
    Menu,
    Option,
    WordsError,
    is_question,
    load_words,
    looks_like_a_choice,
    match,
    number_in,
    several,
    words,
    yes_no_options,
)
from bot.model import Button

CONSENT = [
    Option("yes", "Tôi đồng ý", ("@yes",)),
    Option("no", "Tôi không đồng ý", ("@no",)),
    Option("lang", "English", ("english", "tieng anh")),
]
AREAS = [
    Option("tdp1", "Tổ dân phố 1"),
    Option("tdp4", "Tổ dân phố 4"),
    Option("tdp14", "Tổ dân phố 14"),
    Option("thon2", "Thôn 2"),
    Option("dongda", "Phường Đống Đa"),
    Option("dongtam", "Phường Đồng Tâm"),
    Option("donghoa", "Thôn Đồng Hòa"),
    Option("xuanhoa", "Thôn Xuân Hòa"),
]
SESSION_SUMMARY = [
    Option("yes", "Tạo buổi tập huấn", ("@save", "@send")),
    Option("edit", "Sửa một mục", ("@edit",)),
    Option("no", "Bỏ, không lưu", ("@cancel",)),
]
SESSION_SCREEN = [
    Option("tr:s:1", "Đăng ký", ("@register",)),
    Option("tr:p:0", "Quay lại danh sách", ("@back", "@list")),
]
KEEP_PLACE = [
    Option("tr:cy:1", "Có, hủy", ("@yes",)),
    Option("tr:cn:1", "Không, giữ chỗ", ("@no", "giu")),
]
BROADCAST_WHEN = [Option("now", "Gửi ngay", ("@now",)), Option("later", "Hẹn giờ", ("@later",))]
REVIEW = [
    Option("a", "Xác nhận", ("@approve",)),
    Option("r", "Trả lại, kèm lý do", ("@return",)),
    Option("p", "Quay lại danh sách", ("@back", "@list")),
]
MANAGER = [
    Option("l", "Danh sách đăng ký", ("@list",)),
    Option("x", "Xuất tệp CSV", ("xuat", "csv")),
    Option("a", "Điểm danh", ("diem danh",)),
    Option("e", "Sửa", ("@edit",)),
    Option("k", "Hủy buổi", ("huy buoi", "huy")),
    Option("p", "Về danh sách buổi", ("@back",)),
]
REMINDER_SWITCH = [Option("off", "Tắt nhắc lịch", ("@off", "@no"))]
SIGNED_UP = [
    Option("tr:c:1", "Hủy đăng ký", ("huy dang ky", "huy cho", "khong di", "@cancel")),
    Option("tr:p:0", "Quay lại danh sách", ("@back", "@list")),
]
RELATIONS = [
    Option("spouse", "Vợ hoặc chồng", ("vo", "chong")),
    Option("child", "Con", ("con", "con trai", "con gai")),
    Option("grandchild", "Cháu", ("chau", "chau noi", "chau ngoai")),
    Option("grandparent", "Ông hoặc bà", ("ong", "ong ba")),
]
MEMBERS = [
    Option("0", "Chủ hộ, sinh năm 1980"),
    Option("1", "Con, sinh năm 2015"),
    Option("+add", "Thêm thành viên", ("them",)),
]
WHEN_TO_REMIND = [
    Option("default", "Thường dùng: 1 ngày trước", ("@usual",)),
    Option("none", "Không nhắc", ("@no", "khong nhac")),
]

ROWS = [
    # (what is shown, what is typed, what is chosen: a key, None, or "?" for "which one?")
    (CONSENT, "1", "yes"),
    (CONSENT, "dong y", "yes"),
    (CONSENT, "Đồng ý ạ", "yes"),
    (CONSENT, "ok", "yes"),
    (CONSENT, "ko dong y", "no"),
    (CONSENT, "k đồng ý", "no"),
    (CONSENT, "khg dong y", "no"),
    (CONSENT, "chua dong y", "no"),
    (CONSENT, "khong", "no"),
    (CONSENT, "hk", "no"),
    (CONSENT, "tieng anh", "lang"),
    (CONSENT, "english", "lang"),
    (CONSENT, "3", "lang"),
    (CONSENT, "4", None),
    (AREAS, "tdp 4", "tdp4"),
    (AREAS, "to 4", "tdp4"),
    (AREAS, "tổ 4", "tdp4"),
    (AREAS, "to dan pho so 4", "tdp4"),
    (AREAS, "tdp4", "tdp4"),
    (AREAS, "to 1", "tdp1"),
    (AREAS, "to 14", "tdp14"),
    (AREAS, "thon 2", "thon2"),
    (AREAS, "dong da", "dongda"),
    (AREAS, "Đống Đa", "dongda"),
    (AREAS, "dong tam", "dongtam"),
    (AREAS, "đồng hoà", "donghoa"),  # new tone placement
    (AREAS, "đồng hòa", "donghoa"),  # old tone placement
    (AREAS, "hoa", "?"),
    (AREAS, "dong", "?"),
    (AREAS, "to 7", None),
    (SESSION_SUMMARY, "luu", "yes"),
    (SESSION_SUMMARY, "lưu lại", "yes"),
    (SESSION_SUMMARY, "tao", "yes"),
    (SESSION_SUMMARY, "sua", "edit"),
    (SESSION_SUMMARY, "sửa một mục", "edit"),
    (SESSION_SUMMARY, "bo", "no"),
    (SESSION_SUMMARY, "thoi", "no"),
    (SESSION_SUMMARY, "huỷ", "no"),
    (SESSION_SUMMARY, "ko luu", "no"),
    (SESSION_SUMMARY, "khong sua", None),  # not saving nor discarding: ask again
    (SESSION_SCREEN, "dang ky", "tr:s:1"),
    (SESSION_SCREEN, "dang ki", "tr:s:1"),
    (SESSION_SCREEN, "dk", "tr:s:1"),
    (SESSION_SCREEN, "dky", "tr:s:1"),
    (SESSION_SCREEN, "dangky", "tr:s:1"),
    (SESSION_SCREEN, "đăng kí", "tr:s:1"),
    (SESSION_SCREEN, "dnag ky", "tr:s:1"),  # a typo
    (SESSION_SCREEN, "cho toi dang ky", "tr:s:1"),
    (SESSION_SCREEN, "quay lai", "tr:p:0"),
    (SESSION_SCREEN, "danh sach", "tr:p:0"),
    (SESSION_SCREEN, "khong dang ky", None),  # negation wins over the positive word inside it
    (SESSION_SCREEN, "dang ky o dau?", None),  # a question about registering: the Q&A
    (SESSION_SCREEN, "dang ky gia dinh hoc tap the nao", None),
    (KEEP_PLACE, "co", "tr:cy:1"),
    (KEEP_PLACE, "huy", "tr:cy:1"),
    (KEEP_PLACE, "ko", "tr:cn:1"),
    (KEEP_PLACE, "ko huy", "tr:cn:1"),
    (KEEP_PLACE, "dung huy", "tr:cn:1"),  # "đừng hủy"
    (KEEP_PLACE, "đúng, hủy", "tr:cy:1"),
    (KEEP_PLACE, "giu cho", "tr:cn:1"),
    (KEEP_PLACE, "co le", None),  # "có lẽ" (maybe) is not a yes
    (BROADCAST_WHEN, "gui ngay", "now"),
    (BROADCAST_WHEN, "ngay", "now"),
    (BROADCAST_WHEN, "hen gio", "later"),
    (REVIEW, "tra lai", "r"),
    (REVIEW, "return", "r"),
    (REVIEW, "duyet", "a"),
    (REVIEW, "xac nhan", "a"),
    (REVIEW, "quay lai", "p"),
    (MANAGER, "danh sach", "l"),
    (MANAGER, "list", "l"),
    (MANAGER, "ds", "l"),
    (MANAGER, "diem danh", "a"),
    (MANAGER, "xuat csv", "x"),
    (MANAGER, "huy", "k"),
    (MANAGER, "sua", "e"),
    (REMINDER_SWITCH, "tat", "off"),
    (REMINDER_SWITCH, "off", "off"),
    (REMINDER_SWITCH, "tắt đi", "off"),
    (REMINDER_SWITCH, "khong nhac nua", "off"),
    # Forms of address and polite frames are left out when the rest names a choice.
    (SESSION_SCREEN, "cho bác đăng ký với nhé", "tr:s:1"),
    (SESSION_SCREEN, "bac dang ky cho chau voi", "tr:s:1"),
    (SESSION_SCREEN, "con đăng ký ạ", "tr:s:1"),
    (CONSENT, "dc chau", "yes"),
    (CONSENT, "dạ vâng, cháu đồng ý ạ", "yes"),
    (CONSENT, "bac ko dong y dau", "no"),
    (RELATIONS, "con", "child"),  # the menu's own word is no form of address here
    (RELATIONS, "chau", "grandchild"),
    (RELATIONS, "ông", "grandparent"),
    # "không cần … nữa", "thôi, đừng … nữa": the modal and "nữa" change nothing.
    (REMINDER_SWITCH, "ko can nhac nua", "off"),
    (REMINDER_SWITCH, "thoi dung nhac nua", "off"),
    (REMINDER_SWITCH, "không cần nhắc lịch nữa đâu", "off"),
    # Negating what an option does never picks it, even when the option is a "no".
    (REMINDER_SWITCH, "ko tat", None),
    (REMINDER_SWITCH, "đừng tắt", None),
    (SIGNED_UP, "ko huy", None),
    (SIGNED_UP, "ko di nua", "tr:c:1"),
    (SIGNED_UP, "thoi khong di nua", "tr:c:1"),
    (BROADCAST_WHEN, "gui luon", "now"),
    (WHEN_TO_REMIND, "nhu moi khi", "default"),
    (WHEN_TO_REMIND, "ko can nhac", "none"),
    # A number beyond the list names the one label with that number in its words.
    (MEMBERS, "2015", "1"),
    (MEMBERS, "1990", None),
    (AREAS, "14", "tdp14"),
]


@pytest.mark.parametrize(("shown", "typed", "chosen"), ROWS)
def test_typed_answer_is_the_button(shown: list[Option], typed: str, chosen: str | None) -> None:
    found = match(typed, shown)
    if chosen == "?":
        assert found.ambiguous and found.chosen is None, (typed, found)
    elif chosen is None:
        assert found.chosen is None, (typed, found.chosen)
    else:
        assert found.chosen is not None and found.chosen.key == chosen, (typed, found)


def test_a_number_not_on_the_list_or_on_no_list_picks_nothing() -> None:
    assert match("7", CONSENT).number == 7 and match("7", CONSENT).chosen is None
    assert match("2", CONSENT, numbers=False).chosen is None
    assert match("số 2 ạ", CONSENT).chosen == CONSENT[1]
    assert number_in("chọn số 3") == 3 and number_in("1 3") is None and number_in("to 3") is None
    assert number_in("cho bác số 2 nhé") == 2 and number_in("co 2") is None


def test_yes_and_no_words_come_from_one_file() -> None:
    yes, no = yes_no_options("Đúng rồi", "Không, chọn lại")
    for typed in ("co", "có", "ok", "vâng", "dạ", "u", "đúng", "dung roi", "yes"):
        assert match(typed, [yes, no]).chosen == yes, typed
    for typed in ("khong", "ko", "k", "kg", "khg", "hk", "no", "sai", "chon lai", "huỷ"):
        assert match(typed, [yes, no]).chosen == no, typed
    # A word typed with other diacritics is another word: "dừng" is not "đúng".
    assert match("dừng", [yes, no]).chosen != yes


def test_several_at_once() -> None:
    listed = [
        Option("course", "Lớp tập huấn"),
        Option("cltc", "Lớp ở trung tâm học tập cộng đồng"),
        Option("reading", "Đọc sách, báo", ("doc sach",)),
        Option("+none", "Không có mục nào", ("@none",)),
        Option("+done", "Xong", ("@done",)),
    ]
    assert several("1 3", listed).keys == ("course", "reading")
    assert several("1,3", listed).keys == ("course", "reading")
    assert several("1 và 3", listed).keys == ("course", "reading")
    assert several("1 3 xong", listed).keys == ("course", "reading", "+done")
    assert several("doc sach, xong", listed).keys == ("reading", "+done")
    assert several("khong co muc nao", listed).keys == ("+none",)
    assert several("1 9", listed).unknown == ("9",)
    assert several("1 3", listed, numbers=False).keys == ()


def test_an_answer_that_says_stop() -> None:
    data = words()
    for typed in (
        "thôi",
        "thoi, khong khai nua",
        "khong khai nua",
        "bác không làm nữa đâu",
        "thôi ạ",
        "thôi khỏi",
    ):
        assert data.quits(typed), typed
    # Typed without accents, "thoi gian" is "thời gian" and "dung roi" is "đúng rồi": no stop.
    for typed in ("1968", "ko biet", "khong", "bo qua", "thoi gian", "dung roi", "huy chuong"):
        assert not data.quits(typed), typed


def test_questions_and_attempts() -> None:
    assert is_question("dang ky o dau?") and is_question("ong ba tren 60 co phai hoc ko")
    assert is_question("tieu chi la gi") and is_question("co duoc khong")
    assert not is_question("ko dong y") and not is_question("dong y") and not is_question("to 4")
    assert match("quay ve", SESSION_SCREEN).chosen is None and looks_like_a_choice("quay ve", SESSION_SCREEN)
    assert looks_like_a_choice("9", SESSION_SCREEN)
    assert not looks_like_a_choice("gia lua hom nay", SESSION_SCREEN)
    assert looks_like_a_choice("khong dang ky", SESSION_SCREEN)
    assert not looks_like_a_choice("gia dinh van hoa", [Option("t", "Gia đình học tập: tiêu chí")])
    assert not looks_like_a_choice("lich hoc the nao?", SESSION_SCREEN)


def test_a_menu_keeps_its_aliases_when_saved() -> None:
    menu = Menu.from_buttons([Button("Đăng ký", "tr:s:1", ("@register",)), Button("Quay lại", "tr:p:0")])
    saved = menu.saved()
    assert saved == [("Đăng ký", "tr:s:1", "@register"), ("Quay lại", "tr:p:0")]
    again = Menu.of([list(entry) for entry in saved])  # as read back from JSON
    assert match("dky", again.options()).chosen == Option("tr:s:1", "Đăng ký", ("@register",))
    assert Menu.of([["Old", "x:1"]]).options() == [Option("x:1", "Old")]  # menus saved before aliases


def test_the_words_file_loads_and_a_broken_one_is_named(tmp_path: Path) -> None:
    data = words()
    assert data.intent("yes") and data.intent("no") and data.is_stop("huỷ") and data.is_stop("/huy")
    broken = tmp_path / "words.toml"
    broken.write_text("[words]\nnegation = 3\n", encoding="utf-8")
    with pytest.raises(WordsError, match=r"words\.toml"):
        load_words(broken)
