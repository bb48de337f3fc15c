"""From typed text to matching terms: words, abbreviations expanded, particles dropped.

Every word keeps two forms: the normalised one (NFC, lower case, one tone placement, from
``bot.text.normalize``) and the accent-free one (``bot.text.fold``). The same analysis runs on
the knowledge base and on questions, so both sides always agree.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.text import fold, normalize

ABBREVIATIONS_FILE = Path(__file__).resolve().parent.parent.parent / "locales" / "vi" / "abbreviations.toml"

# Letters and digits apart: "tt24" → "tt", "24"; "2/10" → "2", "10".
_TOKEN = re.compile(r"[^\W\d_]+|\d+")


class AbbreviationsError(ValueError):
    """The abbreviations file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Word:
    norm: str  # normalised, with diacritics as typed
    folded: str  # accent-free

    @property
    def accented(self) -> bool:
        return self.norm != self.folded


def _words_of(text: str) -> list[Word]:
    return [Word(w, fold(w)) for w in _TOKEN.findall(normalize(text))]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Abbreviations and variants (word → words) and particles to ignore.

    A key with diacritics matches only a word typed with them; a key without matches any
    typing of the word and wins over the accent-free form of an accented key.
    """

    exact: dict[str, tuple[Word, ...]]
    folded: dict[str, tuple[Word, ...]]
    ignore_exact: frozenset[str]
    ignore_folded: frozenset[str]

    @classmethod
    def empty(cls) -> Lexicon:
        return cls({}, {}, frozenset(), frozenset())

    @classmethod
    def load(cls, path: Path = ABBREVIATIONS_FILE) -> Lexicon:
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise AbbreviationsError(f"{path}: file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise AbbreviationsError(f"{path}: not valid TOML: {exc}") from None
        unknown = set(data) - {"words", "variants", "ignore"}
        if unknown:
            raise AbbreviationsError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
        exact: dict[str, tuple[Word, ...]] = {}
        folded_explicit: dict[str, tuple[Word, ...]] = {}
        folded_derived: dict[str, tuple[Word, ...]] = {}
        for section in ("words", "variants"):
            table = data.get(section, {})
            if not isinstance(table, dict):
                raise AbbreviationsError(f"{path}: [{section}] must be a table")
            for raw_key, raw_value in table.items():
                key = normalize(raw_key)
                if not _TOKEN.fullmatch(key):
                    raise AbbreviationsError(f"{path}: [{section}] key {raw_key!r} must be one word")
                values = raw_value if isinstance(raw_value, list) else [raw_value]
                if not values or not all(isinstance(v, str) and v.strip() for v in values):
                    raise AbbreviationsError(f"{path}: [{section}] {raw_key!r} must map to text")
                expansion = tuple(w for v in values for w in _words_of(v))
                if key in exact:
                    raise AbbreviationsError(f"{path}: {raw_key!r} is listed twice")
                exact[key] = expansion
                if fold(key) == key:
                    folded_explicit[key] = expansion
                else:
                    folded_derived.setdefault(fold(key), expansion)
        ignore = data.get("ignore", {}).get("words", [])
        if not isinstance(ignore, list) or not all(isinstance(w, str) for w in ignore):
            raise AbbreviationsError(f"{path}: [ignore] words must be a list of words")
        ignore_norm = {normalize(w) for w in ignore}
        return cls(
            exact=exact,
            folded={**folded_derived, **folded_explicit},
            ignore_exact=frozenset(w for w in ignore_norm if fold(w) != w),
            ignore_folded=frozenset(w for w in ignore_norm if fold(w) == w),
        )

    def expand(self, word: Word) -> tuple[Word, ...]:
        found = self.exact.get(word.norm)
        if found is None:
            found = self.folded.get(word.folded)
        return found if found is not None else (word,)

    def ignored(self, word: Word, question: bool) -> bool:
        # A particle recognised by its diacritics ("là") is dropped from questions only: the
        # knowledge base keeps it, so the same word typed without them ("la") still finds it.
        return word.folded in self.ignore_folded or (question and word.norm in self.ignore_exact)


def analyze(text: str, lexicon: Lexicon, question: bool = True) -> list[Word]:
    """The words of ``text`` that matter for matching, abbreviations expanded.

    ``question`` is False for the knowledge base's own texts (see ``Lexicon.ignored``).
    """
    result: list[Word] = []
    for word in _words_of(text):
        for expanded in lexicon.expand(word):
            if not lexicon.ignored(expanded, question):
                result.append(expanded)
    return result
