"""Issue 12, Q&A precision: a named title wins; polite words, lone words and numbers get no topic."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.faq.analyze import AbbreviationsError, Kind, Lexicon
from handlers.faq.service import FaqService

TITLES = {
    "title.gia_dinh": ["gia dinh hoc tap", "gđht", "gia đình học tập"],
    "title.cong_dan": ["cong dan hoc tap", "cdht", "công dân học tập"],
    "title.dong_ho": ["dong ho hoc tap", "dhht", "dòng họ học tập"],
    "title.cong_dong": ["cong dong hoc tap", "cđht", "cộng đồng học tập"],
    "title.don_vi": ["don vi hoc tap", "dvht", "đơn vị học tập"],
}
# Everyday frames around a title: none of them may pull the answer to another title's topic.
FRAMES = [
    "{t} can dieu kien gi",
    "tieu chi {t} la gi",
    "muon dat {t} thi phai lam sao",
    "{t} cham diem the nao",
    "dang ky {t} o dau",
    "{t} co phai dang ky lai hang nam khong",
    "cho hỏi {t} cần những gì ạ",
]


@pytest.fixture(scope="module")
def service() -> FaqService:
    return FaqService.load()


def test_the_title_map_names_the_five_titles(service: FaqService) -> None:
    matcher = service.matcher
    about = dict(zip(matcher.ids, matcher._about, strict=True))
    for title in TITLES:
        assert about[title] == {title}
    assert about["cdht_scoring"] == {"title.cong_dan"} and about["dvht_procedure"] == {"title.don_vi"}
    assert about["quy_khuyen_hoc"] == frozenset()  # a topic about no title is never set aside


@pytest.mark.parametrize("title", sorted(TITLES))
def test_a_question_naming_one_title_never_gets_another_titles_topic(service: FaqService, title: str) -> None:
    matcher = service.matcher
    about = dict(zip(matcher.ids, matcher._about, strict=True))
    for name in TITLES[title]:
        for frame in FRAMES:
            question = frame.format(t=name)
            match = service.match(question)
            if match.topic is not None:
                assert not about[match.topic] or title in about[match.topic], (question, match.topic)
            first = match.candidates[0].topic
            assert not about[first] or title in about[first], (question, first)


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("cảm ơn cháu nhé", Kind.THANKS),
        ("cam on chau nhieu nha", Kind.THANKS),
        ("ok cảm ơn ad", Kind.THANKS),
        ("Thank you so much", Kind.THANKS),
        ("chào bác", Kind.GREETING),
        ("xin chao", Kind.GREETING),
        ("alo alo", Kind.GREETING),
        ("bác ơi", Kind.GREETING),
        ("dạ vâng ạ", Kind.OK),
        ("ok", Kind.OK),
        ("hiểu rồi", Kind.OK),
        ("học", Kind.SHORT),
        ("gia đình", Kind.SHORT),
        ("tiền", Kind.SHORT),
        ("1", Kind.SHORT),
        ("2025", Kind.SHORT),
        ("0912 345 678", Kind.SHORT),
        ("là gì vậy", Kind.SHORT),
        ("???", Kind.SHORT),
    ],
)
def test_polite_words_lone_words_and_numbers_never_get_a_topic(
    service: FaqService, typed: str, kind: Kind
) -> None:
    match = service.match(typed)
    assert (match.topic, match.kind) == (None, kind)


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("cảm ơn, cho hỏi gđht là gì", "title.gia_dinh"),  # thanks and a question: a question
        ("chào bác, tiêu chí dòng họ học tập là gì", "title.dong_ho"),
        ("khuyết tật", "edge.disability"),  # a word pair few topics use is specific enough
        ("quỹ là gì", "quy_khuyen_hoc"),  # one word with a question word is a question
        ("gdht", "title.gia_dinh"),  # an abbreviation of several words
    ],
)
def test_short_questions_that_say_enough_are_answered(service: FaqService, typed: str, topic: str) -> None:
    assert service.match(typed).topic == topic


@pytest.mark.parametrize(
    "typed",
    [
        "đăng ký tạm vắng cho con đi làm xa",  # "đăng ký" is ours, the subject is not
        "lam lai can cuoc cong dan bi mat",  # "công dân" of a citizen's card
        "gđ chính sách được trợ cấp gì",
        "học phí năm nay tăng bao nhiêu",
        "dang ky xe may cho con",
    ],
)
def test_another_offices_subject_gets_no_topic(service: FaqService, typed: str) -> None:
    assert service.match(typed).topic is None


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("hộ nghèo đóng quỹ khuyến học có bắt buộc không", "quy_khuyen_hoc"),  # a word of ours
        ("gia đình chính sách có cần đăng ký gia đình học tập không", "process.register"),  # a title
        ("16 chinh sach ho tro la gi", "lang_van_hoa"),  # a policy, not a "gia đình chính sách"
    ],
)
def test_a_title_or_a_word_of_ours_keeps_the_question_ours(
    service: FaqService, typed: str, topic: str
) -> None:
    assert service.match(typed).topic == topic


def test_the_outside_section_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "abbr.toml"
    bad.write_text('[outside]\nphrases = "căn cước"\n', encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="list of words or phrases"):
        Lexicon.load(bad)
    bad.write_text('[outside]\nwords = ["căn cước"]\n', encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="phrases and ours"):
        Lexicon.load(bad)


def test_outside_phrases_keep_their_meaning_after_analysis(service: FaqService) -> None:
    """A phrase that loses words to [ignore] ("mùa hè" -> "mùa") must not become one of our words."""
    matcher = service.matcher
    for text in matcher.lexicon.outside:
        folded = matcher._phrase(text)
        assert folded, text
        assert len(folded) >= 2 or folded[0] not in matcher._vocabulary, (text, folded)
