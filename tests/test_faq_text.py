"""The Q&A's text analysis: abbreviations, particles, tone placement, typos, words typed together."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.faq.analyze import AbbreviationsError, Lexicon, analyze
from handlers.faq.service import FaqService


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
        ("ntn", "the nao"),  # như thế nào, then the phrase "như thế nào" → "thế nào"
        ("bn", "may"),  # bao nhiêu, then the phrase "bao nhiêu" → "mấy"
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
    assert folded("Dạ cho em hỏi ạ, gđht là gì vậy ad", lexicon) == "gia dinh hoc tap gi"
    # "hỏi" typed with its accent is a particle; "hoi" may be "hội", so it stays.
    assert folded("hoi khuyen hoc", lexicon) == "hoi khuyen hoc"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # southern
        ("nhà tui có đạt hông", "nha co dat khong"),
        ("hổng biết nữa", "khong biet nua"),
        ("vô hội khuyến học", "vao hoi khuyen hoc"),
        ("coi lại bản khai", "xem lai ban khai"),
        ("dang ky o dau dzay", "dang ky o dau"),  # vậy, a particle
        # central
        ("răng rứa", "the nao"),  # sao vậy
        ("đăng ký ở mô", "dang ky o dau"),
        ("họp thôn khi mô", "hop thon khi nao"),
        ("ban khuyến học làm chi", "ban khuyen hoc lam gi"),
        # the same question words everywhere
        ("bao giờ bình xét", "khi nao binh xet"),
        ("tính điểm ra sao", "tinh diem the nao"),
        ("tập huấn hôm nào", "tap huan khi nao"),
    ],
)
def test_regional_words_and_phrases_meet_the_common_ones(typed: str, meant: str, lexicon: Lexicon) -> None:
    assert folded(typed, lexicon) == meant


def test_central_chi_and_mo_change_only_in_phrases(lexicon: Lexicon) -> None:
    """Alone, "chi" is "chi hội", "thu chi" and "mô" is "mô hình"."""
    assert folded("chi hội khuyến học thu chi", lexicon) == "chi hoi khuyen hoc thu chi"
    assert folded("mô hình học tập", lexicon) == "mo hinh hoc tap"


def test_a_word_typed_with_diacritics_never_matches_through_its_accent_free_form(tmp_path: Path) -> None:
    path = tmp_path / "abbr.toml"
    path.write_text('[words]\n"tỉ" = "tỷ"\n[regional]\n"vô" = "vào"\n', encoding="utf-8")
    lexicon = Lexicon.load(path)
    assert folded("ti", lexicon) == "ty"  # typed without diacritics: the accented key's plain form
    assert folded("tí", lexicon) == "ti"  # another word, typed with its own diacritics
    assert folded("vô", lexicon) == "vao"
    assert folded("vo", lexicon) == "vo"  # a regional word matches only as listed ("vở", "vợ")


def test_grammar_words_are_weak(lexicon: Lexicon) -> None:
    words = analyze("nhà có 3 đứa con đi học hết rồi", lexicon)
    assert [w.folded for w in words if w.weak] == ["co", "dua", "het", "roi"]
    assert not any(w.weak for w in analyze("quỹ khuyến học", lexicon))


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


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # chatty, southern and central: grammar words the knowledge base lacks cost nothing
        ("dạ cho tui hỏi cái tiêu chí gia đình học tập thì nó ra sao hông vậy", "title.gia_dinh"),
        ("răng tui hỏi hoài mà hổng ai chỉ, tiêu chí gia đình học tập là chi rứa", "title.gia_dinh"),
        ("khi mô thì họp thôn bình xét danh hiệu", "process.recognition"),
        # a year is context; "chỉ tiêu" (target) is not "tiêu chí" (criterion)
        ("tiêu chí gia đình học tập năm 2025", "title.gia_dinh"),
        ("chỉ tiêu gia đình học tập năm 2025", "targets"),
        # an unknown word beside a known pattern is another subject
        ("con bị khuyết tật thì sao", "edge.disability"),
        ("con bị sốt xuất huyết thì sao", None),
    ],
)
def test_long_regional_and_near_miss_questions(question: str, topic: str | None, service: FaqService) -> None:
    assert service.match(question).topic == topic


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
    bad.write_text('[phrases]\nmo = "đâu"\n', encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="2 to 3 words"):
        Lexicon.load(bad)
    bad.write_text('[weak]\nwords = "có"\n', encoding="utf-8")
    with pytest.raises(AbbreviationsError, match="list of words"):
        Lexicon.load(bad)
