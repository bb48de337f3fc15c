"""The Q&A's text analysis: abbreviations, particles, tone placement, typos, words typed together."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq.analyze import AbbreviationsError, Lexicon, analyze
from bot.faq.service import FaqService


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.fixture(scope="module")
def service() -> FaqService:
    return FaqService.load()


def folded(text: str, lexicon: Lexicon) -> str:
    return " ".join(w.folded for w in analyze(text, lexicon))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ko", "khong"),
        ("k", "khong"),
        ("hk", "khong"),
        ("dc", "duoc"),
        ("đc", "duoc"),
        ("gđ", "gia dinh"),
        ("gd", "gia dinh"),
        ("ntn", "nhu the nao"),
        ("bn", "bao nhieu"),
        ("j", "gi"),
        ("cx", "cung"),
        ("tdp", "to dan pho"),
        ("hs", "hoc sinh"),
        ("GĐHT", "gia dinh hoc tap"),
        ("gdht", "gia dinh hoc tap"),
        ("DHHT", "dong ho hoc tap"),
        ("ĐVHT", "don vi hoc tap"),
        ("XHHT", "xa hoi hoc tap"),
        ("HKH", "hoi khuyen hoc"),
        ("BKH", "ban khuyen hoc"),
        ("GĐVH", "gia dinh van hoa"),
        ("TTHTCĐ", "trung tam hoc tap cong dong"),
        ("MHHT", "mo hinh hoc tap"),
    ],
)
def test_abbreviations_expand(typed: str, meant: str, lexicon: Lexicon) -> None:
    assert folded(typed, lexicon) == meant


def test_cdht_with_the_d_stroke_is_the_community_without_it_the_citizen(lexicon: Lexicon) -> None:
    assert folded("CĐHT", lexicon) == "cong dong hoc tap"
    assert folded("CDHT", lexicon) == "cong dan hoc tap"


def test_dk_keeps_both_meanings(lexicon: Lexicon) -> None:
    assert folded("đk", lexicon) == "dang ky dieu kien"
    assert folded("dk", lexicon) == "dang ky dieu kien"


def test_spelling_variants_meet(lexicon: Lexicon) -> None:
    assert folded("đăng kí", lexicon) == folded("đăng ký", lexicon) == "dang ky"


def test_old_and_new_tone_placement_give_the_same_words(lexicon: Lexicon) -> None:
    assert analyze("làng văn hoà", lexicon) == analyze("làng văn hòa", lexicon)
    assert analyze("Thuỷ", lexicon) == analyze("thủy", lexicon)


def test_particles_are_dropped_from_questions(lexicon: Lexicon) -> None:
    assert folded("Dạ cho em hỏi ạ, gđht là gì vậy ad", lexicon) == "da gia dinh hoc tap gi"
    # "hỏi" typed with its accent is a particle; "hoi" may be "hội", so it stays.
    assert folded("hoi khuyen hoc", lexicon) == "hoi khuyen hoc"


def test_accented_particles_stay_in_the_knowledge_base_texts(lexicon: Lexicon) -> None:
    """So that "la gi" typed without accents still meets "là gì" of the knowledge base."""
    kb = [w.folded for w in analyze("Quỹ khuyến học là gì?", lexicon, question=False)]
    assert kb == ["quy", "khuyen", "hoc", "la", "gi"]


def test_words_typed_together_and_typos_are_repaired(service: FaqService) -> None:
    prepare = service.matcher._prepare
    assert prepare("giadinh hoctap")[0] == ["gia", "dinh", "hoc", "tap"]
    assert prepare("gia dinhf hocj tapp")[0] == ["gia", "dinh", "hoc", "tap"]
    # A well-formed syllable we do not know is another subject, not a typo: kept as typed.
    assert prepare("thoi tiet")[0] == ["thoi", "tiet"]


@pytest.mark.parametrize(
    "forms",
    [
        ("làng văn hóa kiểu mẫu", "làng văn hoá kiểu mẫu", "lang van hoa kieu mau", "LÀNG VĂN HOÁ KIỂU MẪU"),
        ("tiêu chí gia đình học tập", "tieu chi gia dinh hoc tap", "tc gđ học tập", "tieu chi gdht"),
        ("xóa dữ liệu của tôi", "xoá dữ liệu của tôi", "xoa du lieu cua toi"),
    ],
)
def test_accented_unaccented_and_abbreviated_forms_find_the_same_topic(
    forms: tuple[str, ...], service: FaqService
) -> None:
    topics = {service.match(form).topic for form in forms}
    assert len(topics) == 1 and None not in topics


def test_decomposed_unicode_is_matched(service: FaqService) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Dòng họ học tập là gì")
    assert service.match(decomposed).topic == "title.dong_ho"


def test_lexicon_file_mistakes_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "abbr.toml"
    bad.write_text('[words]\n"hai tu" = "x"\n', encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="one word"):
        Lexicon.load(bad)
    bad.write_text("[words]\nko = 3\n", encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="must map to text"):
        Lexicon.load(bad)
    bad.write_text('[words]\nko = "không"\n[variants]\nko = "không"\n', encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="listed twice"):
        Lexicon.load(bad)
    bad.write_text('[wrods]\nko = "không"\n', encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="unknown section"):
        Lexicon.load(bad)
