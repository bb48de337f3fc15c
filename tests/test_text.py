"""Normalisation of Vietnamese as typed on phones."""

from __future__ import annotations

import unicodedata

import pytest

from bot.channels.base import plain_text, split_text
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


def test_button_payload_limit_is_bytes() -> None:
    with pytest.raises(ValueError):
        Button("x", "đ" * 33)  # 66 bytes
