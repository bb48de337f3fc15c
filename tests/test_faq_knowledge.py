"""The knowledge base: the shipped files are valid and cite only known documents; mistakes are refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from handlers.faq.knowledge import (
    LOCALES_DIR,
    MAX_ANSWER,
    MAX_MORE,
    REQUIRED_IDS,
    KnowledgeError,
    check_html,
    load_all,
    load_knowledge,
)
from handlers.faq.matcher import _contains
from handlers.faq.service import FaqService

# What ../shared/guide/domain.md (revised) lists, and nothing else. An answer that names another
# document, number or date states something the bot has no source for. The Công dân học tập
# criteria decision is cited as 324 by one source and 244 by another: neither number is allowed.
KNOWN_DOCUMENTS = {
    "281/QĐ-TTg",
    "44/2014/TT-BGDĐT",
    "448/QĐ-KHVN",
    "1373/QĐ-TTg",
    "387/QĐ-TTg",
    "677/QĐ-TTg",
    "1315/QĐ-TTg",
    "86/2023/NĐ-CP",
    "24/2023/TT-BGDĐT",
    "25/2023/TT-BGDĐT",
    "22/2021/TT-BGDĐT",
    "20/2014/NĐ-CP",
    "08/NQ-HĐND",
    "06/2023/NQ-HĐND",
}
KNOWN_SHORT_DOCUMENTS = {"27/2020"}  # domain.md gives the primary-school circular only as "TT 27/2020"
KNOWN_PERCENTAGES = {"40", "60", "65", "70", "72,11", "72.11", "66,51", "66.51", "80", "90", "95"}
KNOWN_DATES = {
    "20/02/2014",
    "12/12/2014",
    "01/12/2015",
    "10/11/2015",
    "30/07/2021",
    "05/09/2021",
    "25/03/2022",
    "03/06/2022",
    "10/06/2023",
    "09/11/2023",
    "07/12/2023",
    "11/12/2023",
    "27/12/2023",
    "12/02/2024",
}
# Day/month deadlines: submit before 28/2, recognise before 31/3 (one province 31/5), the
# "Gia đình văn hóa" review by 25/11, Study Promotion Day 2/10. Not "15/12" (a 2015 letter).
KNOWN_DAYS = {"28/2", "31/3", "31/5", "25/11", "2/10"}
# Every other number an answer may state, each from domain.md: levels 1–3 and 1/2, 2 October,
# 3 competences / 3 years / grade 3, 4 criteria / 4 form groups, ages 5, 6–14, 11–18, 15–60,
# 10 indicators of 10 points, 5 points, 16 policies, 30 and 100 points, 60 villages / over 60,
# 80 points, 25 November, 28 February, 31 March/May, and the years of the documents.
KNOWN_NUMBERS = {
    "1", "2", "3", "4", "5", "6", "10", "11", "14", "15", "16", "18", "25", "28", "30", "31",
    "60", "80", "100",
    "2008", "2014", "2015", "2016", "2020", "2021", "2022", "2023", "2024", "2025", "2026", "2030",
}  # fmt: skip
_DOCUMENT = re.compile(r"\b\d+/(?:\d{4}/)?(?:QĐ|TT|NĐ|NQ)-[A-Za-zĐ]+")
_SHORT_DOCUMENT = re.compile(
    r"\b(?:QĐ|TT|NĐ|NQ|Quyết định|Thông tư|Nghị định|Nghị quyết)\s+(\d+(?:/\d{4})?)(?![\d/])"
)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?%")
_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
_DAY = re.compile(r"(?<![\d/])(\d{1,2}/\d{1,2})(?![\d/])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Wrong or outdated claims the issue found; none may come back.
FORBIDDEN = (
    "hạnh kiểm tốt",  # QĐ 448: conduct "từ Khá trở lên" ("đạt yêu cầu" for primary pupils)
    "good conduct",
    "độ tuổi đi học bắt buộc",  # QĐ 448: universal-education age ("độ tuổi phổ cập")
    "compulsory",
    "UBND xã/phường công nhận",  # no national text names the body that signs
    "People's Committee recognises",
    "15/12",  # "reports upward before 15 December": a 2015 letter, not today's rule
    "15 December",
    "324",  # the Công dân học tập decision: sources disagree (324 or 244)
    "244",
    "19–60",  # the adults' literacy band found in one summary: unverified
    "19 đến 60",
    "aged 19",
)


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


def test_first_answers_fit_a_phone_screen(bases: dict) -> None:
    """What it is, what to do, whom to ask: about 600 characters; never over 900 (MAX_ANSWER)."""
    assert MAX_ANSWER == 900
    for base in bases.values():
        for topic in base.topics:
            assert len(topic.answer) <= 900, (base.language, topic.id, len(topic.answer))
            # the shipped files keep to "about 600" with a little room for English
            assert len(topic.answer) <= 700, (base.language, topic.id, len(topic.answer))


def test_the_rest_of_an_answer_is_valid_when_present(bases: dict) -> None:
    assert {t.id for t in bases["vi"].topics if t.more} == {t.id for t in bases["en"].topics if t.more}
    for base in bases.values():
        for topic in base.topics:
            if not topic.more:
                continue
            assert len(topic.more) <= MAX_MORE, topic.id
            assert check_html(topic.more) is None, topic.id
            assert topic.more != topic.answer and topic.more.strip() == topic.more, topic.id
            # shown as its own message under the title: fits one Zalo message
            assert len(topic.title) + len(topic.more) + 40 <= 2000, topic.id
    assert bases["vi"].get("title.gia_dinh").more  # the long answers were split


def test_pointers_to_other_topics_name_their_titles(bases: dict) -> None:
    """ "xem mục “…”" / "see “…”" must name a topic that exists, by its title."""
    for base in bases.values():
        titles = {t.title for t in base.topics}
        for topic in base.topics:
            for pointer in re.findall(r"(?:xem mục|see) “([^”]+)”", topic.answer + topic.more):
                assert pointer in titles, (base.language, topic.id, pointer)


def _claims(topic) -> str:
    return " ".join([topic.answer, topic.more, *(s.line() for s in topic.sources)])


def test_answers_cite_only_documents_numbers_and_dates_from_the_domain_guide(bases: dict) -> None:
    for base in bases.values():
        for topic in base.topics:
            text = _claims(topic)
            assert set(_DOCUMENT.findall(text)) <= KNOWN_DOCUMENTS, topic.id
            assert set(_SHORT_DOCUMENT.findall(text)) <= KNOWN_SHORT_DOCUMENTS, topic.id
            assert set(_PERCENT.findall(text)) <= KNOWN_PERCENTAGES, topic.id
            assert set(_DATE.findall(text)) <= KNOWN_DATES, topic.id
            rest = _SHORT_DOCUMENT.sub(" ", _DATE.sub(" ", _DOCUMENT.sub(" ", text)))
            assert set(_DAY.findall(rest)) <= KNOWN_DAYS, topic.id
            numbers = set(_NUMBER.findall(_DAY.sub(" ", _PERCENT.sub(" ", rest))))
            assert numbers <= KNOWN_NUMBERS, (topic.id, numbers - KNOWN_NUMBERS)


def test_every_document_an_answer_names_is_in_its_sources(bases: dict) -> None:
    """A claim and its source travel together: the source line lists what the answer cites."""
    for base in bases.values():
        for topic in base.topics:
            cited = " ".join(s.line() for s in topic.sources)
            text = topic.answer + " " + topic.more
            for document in set(_DOCUMENT.findall(text)) | set(_SHORT_DOCUMENT.findall(text)):
                assert document in cited, (base.language, topic.id, document)


def test_wrong_or_outdated_claims_do_not_come_back(bases: dict) -> None:
    for base in bases.values():
        for topic in base.topics:
            text = _claims(topic) + " " + topic.title
            for claim in FORBIDDEN:
                assert claim not in text, (base.language, topic.id, claim)


def test_study_promotion_day_is_the_prime_ministers_not_the_associations(bases: dict) -> None:
    for base in bases.values():
        topic = base.get("ngay_khuyen_hoc")
        assert all(s.issuer in ("Thủ tướng Chính phủ", "Prime Minister") for s in topic.sources)


def test_one_voice_the_bot_is_toi(bases: dict) -> None:
    """The bot speaks as "tôi": never "chúng tôi", never "bot" about itself, no research notes."""
    for topic in bases["vi"].topics:
        text = f"{topic.title}\n{topic.answer}\n{topic.more}"
        assert "chúng tôi" not in text.lower(), topic.id
        assert not re.search(r"\bbot\b", text, re.IGNORECASE), topic.id
        assert "chưa xác nhận)" not in text and "có giữ các mức này không" not in text, topic.id
        assert not re.search(r"\bbạn\b", text, re.IGNORECASE), topic.id  # no form of address yet
        assert not re.search(r":\s*chưa rõ\.", text), topic.id  # curt lines ("Điểm đạt: chưa rõ.")
    for topic in bases["en"].topics:
        text = f"{topic.title}\n{topic.answer}\n{topic.more}"
        assert not re.search(r"\b(we|our|the bot)\b", text, re.IGNORECASE), topic.id


def test_unknown_national_texts_are_said_to_be_unknown(bases: dict) -> None:
    """Where domain.md has no criteria text, the answer says so and points to the officer."""
    vi = bases["vi"]
    for topic_id in (
        "title.dong_ho",
        "lang_van_hoa",
        "edge.elderly",
        "edge.online",
        "hoi_khuyen_hoc",
        "vinh_phuc_movement",
        "model_village_fund",
        "dvht_procedure",
    ):
        answer = vi.get(topic_id).answer
        assert "chưa có" in answer or "không nêu" in answer or "không liệt kê" in answer, topic_id
        assert "cán bộ khuyến học" in answer or "ban khuyến học" in answer, topic_id


def test_the_new_topics_exist_with_sources(bases: dict) -> None:
    new = ("vinh_phuc_movement", "model_village_fund", "report_card_words", "cdht_scoring",
           "dvht_procedure", "awards")  # fmt: skip
    for base in bases.values():
        for topic_id in new:
            topic = base.get(topic_id)
            assert topic is not None and topic.sources, (base.language, topic_id)
    vi = bases["vi"]
    assert "congdanhoctap.vn" in vi.get("cdht_scoring").answer
    assert "có thể khác" in vi.get("cdht_scoring").answer + vi.get("cdht_scoring").more
    assert "95%" in vi.get("dvht_procedure").answer and "90%" in vi.get("dvht_procedure").answer
    assert "1315/QĐ-TTg" in vi.get("awards").answer
    words = vi.get("report_card_words").answer
    assert all(w in words for w in ("Tốt", "Khá", "Đạt", "Chưa đạt", "Hoàn thành tốt", "địa phương"))


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
    related = 'related = ["quy_khuyen_hoc", "title.gia_dinh", "awards", "targets"]'
    _edit(path, related, 'related = ["quy_khuyen_hocc"]')
    with pytest.raises(KnowledgeError, match=r"title.dong_ho: related topic quy_khuyen_hocc does not exist"):
        load_knowledge(path, "vi")


def test_too_long_answer_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    _edit(path, '"""Ngày <b>2 tháng 10</b>', '"""' + "Rất dài. " * 110 + "Ngày <b>2 tháng 10</b>")
    with pytest.raises(KnowledgeError, match=r"ngay_khuyen_hoc: “answer” is 1\d{3} characters \(at most 900"):
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
    _edit(path, "(hiệu lực từ 12/02/2024), ở", "(hiệu lực từ 12/02/2024 & sau), ở")
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
    assert service.reload() == {"vi": 31, "en": 31}
    topic = service.topic("ngay_khuyen_hoc", "vi")
    assert topic is not None and "(đã sửa)" in topic.answer


def test_a_narrower_topic_keeps_its_own_phrasings(bases: dict) -> None:
    """Each phrasing of a narrower topic ("within") has one of its marks, and finds it."""
    service = FaqService.load()
    matcher = service.matcher
    narrower = [t for base in bases.values() for t in base.topics if t.within]
    assert {t.id for t in narrower} >= {"cdht_scoring", "dvht_procedure", "model_village_fund"}
    for topic in narrower:
        marks = [matcher._phrase(mark) for mark in topic.marks]
        for question in topic.questions:
            assert _contains(matcher._prepare(question).folded, marks), (topic.id, question)
            assert service.match(question).topic == topic.id, (topic.id, question)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('within = "title.cong_dan"', "go together"),
        ('marks = ["phần mềm"]', "go together"),
        ('within = "Title X"\nmarks = ["x"]', "id of a broader topic"),
        ('within = "nowhere"\nmarks = ["x"]', "names no other topic"),
        ('within = "bot.help"\nmarks = []', "at least 1"),
    ],
)
def test_within_and_marks_are_checked(tmp_path: Path, extra: str, problem: str) -> None:
    path = _copy(tmp_path) / "vi" / "knowledge.toml"
    before = 'questions = [\n  "Ngày khuyến học'
    _edit(path, before, extra + "\n" + before)
    with pytest.raises(KnowledgeError, match=problem):
        load_knowledge(path, "vi")
