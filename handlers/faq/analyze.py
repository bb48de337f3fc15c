"""From typed text to matching terms: words, abbreviations expanded, particles dropped.

Every word keeps two forms: the normalised one (NFC, lower case, one tone placement, from
``bot.text.normalize``) and the accent-free one (``bot.text.fold``). The same analysis runs on
the knowledge base and on questions, so both sides always agree.

Words that only carry grammar ("có", "thì", "rồi", "hông") are marked *weak*: the matcher still
uses them to rank, but a weak word the knowledge base does not know says nothing about whether a
question is in scope, so long, chatty questions are not mistaken for another subject.
"""

from __future__ import annotations

import enum
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.text import fold, normalize

ABBREVIATIONS_FILE = Path(__file__).resolve().parent.parent.parent / "locales" / "vi" / "abbreviations.toml"

# Letters and digits apart: "tt24" → "tt", "24"; "2/10" → "2", "10".
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_SECTIONS = frozenset(
    {"words", "variants", "regional", "phrases", "ignore", "weak", "smalltalk", "titles", "outside"}
)
_MAX_PHRASE = 3  # words in the longest phrase key
_SMALLTALK_KINDS = ("thanks", "greetings", "ok")


class Kind(enum.StrEnum):
    """What a message is, before any matching: a question, or a few polite words."""

    QUESTION = "question"
    THANKS = "thanks"  # "cảm ơn cháu nhé"
    GREETING = "greeting"  # "chào bác", "alo"
    OK = "ok"  # "vâng", "ok", "hiểu rồi": an acknowledgement
    SHORT = "short"  # one everyday word or a bare number: too little to answer (see the matcher)


class AbbreviationsError(ValueError):
    """The abbreviations file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Word:
    norm: str  # normalised, with diacritics as typed
    folded: str  # accent-free
    weak: bool = False  # grammar only (see the module's docstring)

    @property
    def accented(self) -> bool:
        return self.norm != self.folded


def _words_of(text: str) -> list[Word]:
    return [Word(w, fold(w)) for w in _TOKEN.findall(normalize(text))]


def _key(words: list[Word], folded: bool) -> str:
    return " ".join(w.folded if folded else w.norm for w in words)


@dataclass(frozen=True, slots=True)
class _Table:
    """Keys (one word or a phrase, words joined by spaces) → words.

    ``exact`` matches the words as typed; ``plain`` matches words typed without any diacritics,
    by their accent-free form (a key written without diacritics, or the accent-free form of an
    accented key where the file allows it). Words typed with diacritics match only exactly:
    "mà" must not become what "ma" stands for.
    """

    exact: dict[str, tuple[Word, ...]]
    plain: dict[str, tuple[Word, ...]]

    def get(self, words: list[Word]) -> tuple[Word, ...] | None:
        found = self.exact.get(_key(words, folded=False))
        if found is None and not any(w.accented for w in words):
            found = self.plain.get(_key(words, folded=True))
        return found


def _flag_set(path: Path, data: dict[str, Any], section: str) -> tuple[frozenset[str], frozenset[str]]:
    """(accented entries, accent-free entries) of a ``words = [...]`` section."""
    words = data.get(section, {}).get("words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise AbbreviationsError(f"{path}: [{section}] words must be a list of words")
    norm = {normalize(w) for w in words}
    return frozenset(w for w in norm if fold(w) != w), frozenset(w for w in norm if fold(w) == w)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Abbreviations, variants, regional words and phrases (→ words); particles; weak words.

    Particles and weak words written with diacritics apply only to words typed with them; written
    without, to any typing of the word.
    """

    words: _Table  # one word → words
    phrases: _Table  # two or more words → words, applied after ``words``
    ignore_exact: frozenset[str]
    ignore_folded: frozenset[str]
    weak_exact: frozenset[str] = frozenset()
    weak_folded: frozenset[str] = frozenset()
    # Whole polite messages, accent-free words → kind; and the forms of address around them.
    smalltalk: dict[tuple[str, ...], Kind] = field(default_factory=dict)
    address: frozenset[str] = frozenset()
    # The five titles: a title topic's id → the ways of naming it (as written in the file).
    titles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Other offices' subjects that share our words ("căn cước công dân", "đăng ký tạm trú"), and
    # the campaign's own words that keep a question ours all the same (see the matcher).
    outside: tuple[str, ...] = ()
    ours: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> Lexicon:
        return cls(_Table({}, {}), _Table({}, {}), frozenset(), frozenset())

    @classmethod
    def load(cls, path: Path = ABBREVIATIONS_FILE) -> Lexicon:
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise AbbreviationsError(f"{path}: file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise AbbreviationsError(f"{path}: not valid TOML: {exc}") from None
        unknown = set(data) - _SECTIONS
        if unknown:
            raise AbbreviationsError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
        seen: set[str] = set()
        exact: dict[bool, dict[str, tuple[Word, ...]]] = {False: {}, True: {}}  # by "is a phrase"
        plain_explicit: dict[bool, dict[str, tuple[Word, ...]]] = {False: {}, True: {}}
        plain_derived: dict[bool, dict[str, tuple[Word, ...]]] = {False: {}, True: {}}
        for section in ("words", "variants", "regional", "phrases"):
            table = data.get(section, {})
            if not isinstance(table, dict):
                raise AbbreviationsError(f"{path}: [{section}] must be a table")
            for raw_key, raw_value in table.items():
                key_words = _TOKEN.findall(normalize(raw_key))
                key = " ".join(key_words)
                if section == "phrases":
                    if not 2 <= len(key_words) <= _MAX_PHRASE or key != normalize(raw_key):
                        raise AbbreviationsError(
                            f"{path}: [phrases] key {raw_key!r} must be 2 to {_MAX_PHRASE} words"
                        )
                elif len(key_words) != 1 or key != normalize(raw_key):
                    raise AbbreviationsError(f"{path}: [{section}] key {raw_key!r} must be one word")
                values = raw_value if isinstance(raw_value, list) else [raw_value]
                if not values or not all(isinstance(v, str) and v.strip() for v in values):
                    raise AbbreviationsError(f"{path}: [{section}] {raw_key!r} must map to text")
                expansion = tuple(w for v in values for w in _words_of(v))
                if key in seen:
                    raise AbbreviationsError(f"{path}: {raw_key!r} is listed twice")
                seen.add(key)
                phrase = section == "phrases"
                exact[phrase][key] = expansion
                if fold(key) == key:
                    plain_explicit[phrase][key] = expansion
                elif section != "regional":
                    # A regional word without its diacritics is mostly another word ("mô" / "mo").
                    plain_derived[phrase].setdefault(fold(key), expansion)
        ignore_exact, ignore_folded = _flag_set(path, data, "ignore")
        weak_exact, weak_folded = _flag_set(path, data, "weak")
        smalltalk, address = _smalltalk(path, data.get("smalltalk", {}))
        return cls(
            words=_Table(exact[False], {**plain_derived[False], **plain_explicit[False]}),
            phrases=_Table(exact[True], {**plain_derived[True], **plain_explicit[True]}),
            ignore_exact=ignore_exact,
            ignore_folded=ignore_folded,
            weak_exact=weak_exact,
            weak_folded=weak_folded,
            smalltalk=smalltalk,
            address=address,
            titles=_titles(path, data.get("titles", {})),
            outside=_texts(path, data.get("outside", {}), "outside", "phrases"),
            ours=_texts(path, data.get("outside", {}), "outside", "ours"),
        )

    def expand(self, words: list[Word]) -> list[Word]:
        """Single words first ("bn" → "bao nhiêu"), then phrases, longest first ("bao nhiêu" → "mấy")."""
        expanded = [w for word in words for w in (self.words.get([word]) or (word,))]
        result: list[Word] = []
        index = 0
        while index < len(expanded):
            for size in range(min(_MAX_PHRASE, len(expanded) - index), 1, -1):
                found = self.phrases.get(expanded[index : index + size])
                if found is not None:
                    result.extend(found)
                    index += size
                    break
            else:
                result.append(expanded[index])
                index += 1
        return result

    def ignored(self, word: Word, question: bool) -> bool:
        # A particle recognised by its diacritics ("là") is dropped from questions only: the
        # knowledge base keeps it, so the same word typed without them ("la") still finds it.
        return word.folded in self.ignore_folded or (question and word.norm in self.ignore_exact)

    def is_weak(self, word: Word) -> bool:
        # Typed with diacritics a word says which it is: "cán" (bộ) and "máy" (tính) are not the
        # weak "cần" and "mấy" that "can" and "may" may stand for.
        if word.accented:
            return word.norm in self.weak_exact
        return word.folded in self.weak_folded

    def kind(self, text: str) -> Kind:
        """THANKS, GREETING or OK when the whole message is polite words, else QUESTION.

        Forms of address and particles are left out first ("cảm ơn cháu nhé" is "cảm ơn"); what
        remains must be polite phrases only ("ok cảm ơn" is thanks, "cảm ơn, gđht là gì" is not).
        A message of forms of address alone ("bác ơi") is a greeting.
        """
        words = _words_of(text)
        if not words:
            return Kind.QUESTION  # nothing typed but signs: the matcher decides
        folded = [w.folded for w in words]
        found: set[Kind] = set()
        index = 0
        longest = max((len(k) for k in self.smalltalk), default=0)
        while index < len(folded):
            for size in range(min(longest, len(folded) - index), 0, -1):
                kind = self.smalltalk.get(tuple(folded[index : index + size]))
                if kind is not None:
                    found.add(kind)
                    index += size
                    break
            else:
                if not (self.ignored(words[index], True) or folded[index] in self.address):
                    return Kind.QUESTION
                index += 1
        for kind in (Kind.THANKS, Kind.GREETING, Kind.OK):
            if kind in found:
                return kind
        return Kind.GREETING


def _smalltalk(path: Path, raw: Any) -> tuple[dict[tuple[str, ...], Kind], frozenset[str]]:
    if not isinstance(raw, dict) or set(raw) - {*_SMALLTALK_KINDS, "address"}:
        raise AbbreviationsError(
            f"{path}: [smalltalk] holds lists named {', '.join(_SMALLTALK_KINDS)} and address"
        )
    phrases: dict[tuple[str, ...], Kind] = {}
    kinds = {"thanks": Kind.THANKS, "greetings": Kind.GREETING, "ok": Kind.OK}
    for name, kind in kinds.items():
        entries = raw.get(name, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
            raise AbbreviationsError(f"{path}: [smalltalk] {name} must be a list of texts")
        for entry in entries:
            phrases.setdefault(tuple(w.folded for w in _words_of(entry)), kind)
    address = raw.get("address", [])
    if not isinstance(address, list) or not all(isinstance(e, str) and e.strip() for e in address):
        raise AbbreviationsError(f"{path}: [smalltalk] address must be a list of words")
    return phrases, frozenset(w.folded for entry in address for w in _words_of(entry))


def _texts(path: Path, raw: Any, section: str, name: str) -> tuple[str, ...]:
    """A list of texts (words or phrases) under ``[section] name = [...]``."""
    if not isinstance(raw, dict) or set(raw) - {"phrases", "ours"}:
        raise AbbreviationsError(f"{path}: [{section}] holds the lists phrases and ours")
    texts = raw.get(name, [])
    if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
        raise AbbreviationsError(f"{path}: [{section}] {name} must be a list of words or phrases")
    return tuple(texts)


def _titles(path: Path, raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise AbbreviationsError(f"{path}: [titles] must be a table")
    result = {}
    for key, names in raw.items():
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n.strip() for n in names)
        ):
            raise AbbreviationsError(f"{path}: [titles] {key!r} must be a list of names")
        result[key] = tuple(names)
    return result


def analyze(text: str, lexicon: Lexicon, question: bool = True) -> list[Word]:
    """The words of ``text`` that matter for matching, abbreviations expanded.

    ``question`` is False for the knowledge base's own texts (see ``Lexicon.ignored``).
    """
    result: list[Word] = []
    for word in lexicon.expand(_words_of(text)):
        if not lexicon.ignored(word, question):
            result.append(replace(word, weak=True) if lexicon.is_weak(word) else word)
    return result
