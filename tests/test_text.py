"""Normalisation of Vietnamese as typed on phones."""

from __future__ import annotations

import unicodedata

import pytest

from bot.channels import console, telegram, zalo
from bot.channels.base import plain_text, shown, split_text, utf16_units
from bot.model import Button, Reply
from bot.text import esc, fold, normalize, strip_html


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoá học", "hóa học"), ("tuỳ", "tùy")],
)
def test_tone_placement_old_and_new_compare_equal(old: str, new: str) -> None:
    assert normalize(old) == normalize(new)


def test_quy_keeps_its_tone_on_y() -> None:
    assert normalize("quý") == "quý"


def test_fold_removes_accents_and_d_stroke() -> None:
    assert fold("Gia Đình Học Tập") == "gia dinh hoc tap"
    assert fold("ĐĂNG KÝ") == "dang ky"


def test_decomposed_input_is_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Khuyến học")
    assert normalize(decomposed) == "khuyến học"


def test_escape_and_strip_html() -> None:
    assert esc("<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"
    assert strip_html("<b>Xin</b> chào &amp; hẹn gặp") == "Xin chào & hẹn gặp"


def test_split_text_respects_limit_and_keeps_everything() -> None:
    text = "\n".join(f"Dòng số {i}: " + "chữ " * 30 for i in range(100))
    chunks = split_text(text, 500)
    assert all(len(c) <= 500 for c in chunks)
    assert "".join(c.replace("\n", "").replace(" ", "") for c in chunks) == text.replace("\n", "").replace(
        " ", ""
    )


def test_plain_text_numbers_choices() -> None:
    reply = Reply.make("<b>Chọn</b>", [Button("Có", "x:yes"), Button("Không", "x:no")])
    assert plain_text(reply) == "Chọn\n\n  1. Có\n  2. Không"


CHOICES = Reply.make(
    "<b>Chọn</b> buổi", [[Button("Sáng", "s:1"), Button("Chiều", "s:2")], [Button("Hủy", "s:x")]]
)


def test_choices_are_a_keyboard_where_there_are_buttons() -> None:
    for outbox in (False, True):  # a tap carries its payload: no confusion with the conversation
        message = shown(CHOICES, telegram.CAPABILITIES, outbox=outbox)
        assert message.text == "<b>Chọn</b> buổi"  # the channel reads HTML: kept
        assert message.keyboard == CHOICES.buttons  # rows as the feature laid them out


def test_choices_are_numbered_where_there_are_none_and_bullets_from_the_outbox() -> None:
    for capabilities in (zalo.CAPABILITIES, console.CAPABILITIES):
        reply = shown(CHOICES, capabilities)
        assert reply == shown(CHOICES, capabilities, outbox=False)
        assert reply.text == "Chọn buổi\n\n  1. Sáng\n  2. Chiều\n  3. Hủy" and reply.keyboard == ()
        # From the outbox a typed number would answer the person's current conversation instead.
        assert shown(CHOICES, capabilities, outbox=True).text == "Chọn buổi\n\n  • Sáng\n  • Chiều\n  • Hủy"
    assert shown(Reply("<i>Không có lựa chọn</i>"), zalo.CAPABILITIES).text == "Không có lựa chọn"


def test_messages_are_cut_at_the_channels_limit() -> None:
    text = "\n".join(f"Dòng {i}: " + "học tập suốt đời " * 8 for i in range(80))
    for capabilities in (telegram.CAPABILITIES, zalo.CAPABILITIES):
        parts = capabilities.parts(text)
        assert len(parts) > 1 and all(len(p) <= capabilities.max_text for p in parts)
    assert console.CAPABILITIES.parts(text) == [text]


def test_zalo_counts_its_limit_in_utf16_units() -> None:
    assert utf16_units("Học 📢✅") == 7  # 📢 is two UTF-16 units; ✅ (U+2705) is one
    text = "\n".join(f"📢 Thông báo {i}: " + "📚 học " * 20 for i in range(14))
    assert len(text) <= zalo.CAPABILITIES.max_text < utf16_units(text)  # one message by code points
    parts = zalo.CAPABILITIES.parts(text)
    assert len(parts) > 1 and all(utf16_units(p) <= zalo.CAPABILITIES.max_text for p in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    # One long word of emoji, no place to cut: still within the limit.
    assert all(utf16_units(p) <= 2000 for p in zalo.CAPABILITIES.parts("📢" * 1500))
    assert zalo.CAPABILITIES.length("📢") == 2 and console.CAPABILITIES.length("📢") == 1


def test_button_payload_limit_is_bytes() -> None:
    with pytest.raises(ValueError):
        Button("x", "đ" * 33)  # 66 bytes
