"""The knowledge base: the shipped files are valid and cite only known documents; mistakes are refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.faq.knowledge import (
    LOCALES_DIR,
    MAX_ANSWER,
    REQUIRED_IDS,
    KnowledgeError,
    check_html,
    load_all,
    load_knowledge,
)
from bot.faq.service import FaqService

# What ../shared/guide/domain.md lists. An answer that names another document, percentage or
# date states something the bot has no source for.
KNOWN_DOCUMENTS = {
    "281/QĐ-TTg",
    "44/2014/TT-BGDĐT",
    "448/QĐ-KHVN",
    "1373/QĐ-TTg",
    "387/QĐ-TTg",
    "677/QĐ-TTg",
    "324/QĐ-KHVN",
    "1315/QĐ-TTg",
    "86/2023/NĐ-CP",
    "24/2023/TT-BGDĐT",
}
KNOWN_PERCENTAGES = {"40", "60", "65", "70", "72,11", "72.11", "66,51", "66.51", "80", "90"}
KNOWN_DATES = {
    "20/02/2014",
    "12/12/2014",
    "01/12/2015",
    "10/11/2015",
    "30/07/2021",
    "25/03/2022",
    "03/06/2022",
    "10/06/2023",
    "09/11/2023",
    "07/12/2023",
    "11/12/2023",
    "12/02/2024",
}
_DOCUMENT = re.compile(r"\b\d+/(?:\d{4}/)?(?:QĐ|TT|NĐ)-[A-Za-zĐ]+")
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?%")
_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


@pytest.fixture(scope="module")
def bases() -> dict:
    return load_all()


def test_shipped_files_load_with_the_same_ids_in_both_languages(bases: dict) -> None:
    assert set(bases) == {"vi", "en"}
    assert bases["vi"].ids == bases["en"].ids
    for required in REQUIRED_IDS:
        assert required in bases["vi"].ids


def test_every_answer_fits_a_chat_message_and_names_a_source(bases: dict) -> None:
    service = FaqService.load()
    for base in bases.values():
        for topic in base.topics:
            assert len(topic.answer) <= MAX_ANSWER
            assert topic.sources and all(s.document for s in topic.sources)
            assert len(topic.payload.encode()) <= 64
            assert len(service.render(topic)) <= 2000, topic.id
            assert check_html(service.render(topic)) is None, topic.id


def test_answers_cite_only_documents_numbers_and_dates_from_the_domain_guide(bases: dict) -> None:
    for base in bases.values():
        for topic in base.topics:
            text = topic.answer + " " + " ".join(s.line() for s in topic.sources)
            assert set(_DOCUMENT.findall(text)) <= KNOWN_DOCUMENTS, topic.id
            assert set(_PERCENT.findall(text)) <= KNOWN_PERCENTAGES, topic.id
            assert set(_DATE.findall(text)) <= KNOWN_DATES, topic.id


def test_unknown_national_texts_are_said_to_be_unknown(bases: dict) -> None:
    """Where domain.md has no criteria text, the answer says so and points to the officer."""
    vi = bases["vi"]
    for topic_id in ("title.dong_ho", "lang_van_hoa", "edge.elderly", "edge.online", "hoi_khuyen_hoc"):
        answer = vi.get(topic_id).answer
        assert "chưa có" in answer or "không nêu" in answer or "không liệt kê" in answer, topic_id
        assert "cán bộ khuyến học" in answer or "ban khuyến học" in answer, topic_id


def _copy(tmp_path: Path) -> Path:
    for lang in ("vi", "en"):
        (tmp_path / lang).mkdir()
        shutil.copy(LOCALES_DIR / lang / "knowledge.toml", tmp_path / lang / "knowledge.toml")
    return tmp_path


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, 'id = "title.dong_ho"', 'id = "title.gia_dinh"')
    with pytest.raises(KnowledgeError, match=r"title.gia_dinh appears twice"):
        load_knowledge(path, "vi")


def test_missing_required_topic_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, 'id = "privacy"', 'id = "privacy_old"')
    with pytest.raises(KnowledgeError, match=r"required topic.*privacy"):
        load_knowledge(path, "vi")


def test_unknown_related_topic_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, 'related = ["quy_khuyen_hoc", "title.gia_dinh", "targets"]', 'related = ["quy_khuyen_hocc"]')
    with pytest.raises(KnowledgeError, match=r"title.dong_ho: related topic quy_khuyen_hocc does not exist"):
        load_knowledge(path, "vi")


def test_too_long_answer_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, '"""Ngày <b>2 tháng 10</b>', '"""' + "Rất dài. " * 200 + "Ngày <b>2 tháng 10</b>")
    with pytest.raises(KnowledgeError, match=r"ngay_khuyen_hoc: “answer” is 1.* characters"):
        load_knowledge(path, "vi")


def test_the_rest_of_an_answer_is_optional_and_read_from_more(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    before = 'questions = [\n  "Ngày khuyến học'
    _edit(path, before, 'more = """Thêm <b>chi tiết</b>."""\n' + before)
    base = load_knowledge(path, "vi")
    assert base.get("ngay_khuyen_hoc").more == "Thêm <b>chi tiết</b>."
    assert base.get("contact_officer").more == ""  # optional


@pytest.mark.parametrize(
    ("more", "problem"),
    [
        ('""', "“more” must be a non-empty text"),
        ("42", "“more” must be a non-empty text"),
        ('"""' + "Rất dài. " * 200 + '"""', r"“more” is 1\d{3} characters \(at most 1500\)"),
        ('"GD&ĐT"', "“more”: a bare"),
        ('"<b>x"', "“more”: <b> is never closed"),
    ],
)
def test_a_bad_more_is_refused(tmp_path: Path, more: str, problem: str) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, 'questions = [\n  "Ngày khuyến học', f'more = {more}\nquestions = [\n  "Ngày khuyến học')
    with pytest.raises(KnowledgeError, match=f"ngay_khuyen_hoc: {problem}"):
        load_knowledge(path, "vi")


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("GD&ĐT", "bare “&”"),
        ("<a href='x'>x</a>", "not allowed"),
        ("<b>x", "never closed"),
        ("x</b>", "not open"),
        ("5 < 6", "not a tag"),
    ],
)
def test_answers_must_be_valid_telegram_html(html: str, problem: str) -> None:
    assert problem in (check_html(html) or "")


def test_bad_html_in_a_file_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, "thông tư của Bộ GD&amp;ĐT", "thông tư của Bộ GD&ĐT")
    with pytest.raises(KnowledgeError, match=r"title.cong_dong: a bare"):
        load_knowledge(path, "vi")


def test_topic_without_source_or_with_unknown_key_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, 'questions = [\n  "Ngày khuyến học', 'qestions = [\n  "Ngày khuyến học')
    with pytest.raises(KnowledgeError, match="ngay_khuyen_hoc: unknown key"):
        load_knowledge(path, "vi")


def test_languages_must_have_the_same_ids(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "en" / "knowledge.toml", 'id = "targets"', 'id = "targets_en"')
    _edit(root / "en" / "knowledge.toml", '"targets"]', '"targets_en"]', count=10)
    with pytest.raises(KnowledgeError, match="differ from Vietnamese; missing: targets; extra: targets_en"):
        load_all(root)


def test_reload_keeps_the_previous_version_when_a_file_is_broken(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    service = FaqService.load(locales_dir=root)
    assert service.match("ngay khuyen hoc la ngay nao").topic == "ngay_khuyen_hoc"
    _edit(root / "vi" / "knowledge.toml", 'id = "privacy"', 'id = "privacy_old"')
    with pytest.raises(KnowledgeError):
        service.reload()
    assert service.match("ngay khuyen hoc la ngay nao").topic == "ngay_khuyen_hoc"
    _edit(root / "vi" / "knowledge.toml", 'id = "privacy_old"', 'id = "privacy"')
    _edit(
        root / "vi" / "knowledge.toml", "là <b>Ngày Khuyến học Việt Nam</b>.", "là Ngày Khuyến học (đã sửa)."
    )
    assert service.reload() == {"vi": 25, "en": 25}
    topic = service.topic("ngay_khuyen_hoc", "vi")
    assert topic is not None and "(đã sửa)" in topic.answer
