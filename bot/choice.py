"""Choices: what a person may pick, and the one matcher that reads a typed answer as a pick.

A typed answer is the button. Every menu — a flow step, a session's screen, the review screen,
the consent notice — is a list of ``Option`` (key, label as shown, aliases), and ``match`` reads
what the person typed against it:

1. a number: the place in the list as shown ("2", "số 2", "chọn 2 ạ"); beyond the list, the one
   label with that number in its words ("2015" for "Con, sinh năm 2015"), or it is said so;
2. the whole label or an alias, with or without diacritics, old or new tone placement
   ("hoà" = "hòa"), joined or not ("dangky"), abbreviations expanded (ko, đk, tdp…);
3. any unambiguous part of a label ("dong da" for "Phường Đống Đa", "tdp 4" or "to 4" for
   "Tổ dân phố 4"), a label or alias named inside a longer answer ("cho tôi đăng ký"), and
   small typos ("dnag ky"); little words, forms of address and polite frames are left out when
   the rest names a choice ("cho bác đăng ký với nhé" is "đăng ký", "dc cháu" is "được");
4. negation before any positive word: "ko dong y" is the "no" of a yes/no question, never its yes;
   "không cần nhắc nữa" is "không nhắc"; negating what an option does ("ko huỷ") never picks it.

Several choices fit equally → ``Match.candidates`` (ask which one). Aliases are words or
``@name``: a list of ``locales/words.toml``, loaded once, so the yes/no words live in one place.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from rapidfuzz.distance import OSA

from bot.i18n import LOCALES_DIR, _
from bot.model import Button
from bot.text import fold, is_number, normalize, parse_int

WORDS_FILE = LOCALES_DIR / "words.toml"
ABBREVIATIONS_FILE = LOCALES_DIR / "vi" / "abbreviations.toml"

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_MAX_READINGS = 6
# "dung" typed without accents is "đúng" (right) before these, "đừng" (do not) before other words.
_RIGHT_AFTER = frozenset({"roi", "vay", "the", "a", "nhe", "nha", "oi", "khong", "ko", "k", "chua"})


class WordsError(ValueError):
    """The words file is malformed; the message names the file and the entry."""


# -- the data --------------------------------------------------------------------------------------
Word = tuple[str, str]  # (as typed: normalised with its diacritics, accent-free)


def same_word(typed: Word, data: Word) -> bool:
    """Typed without diacritics, a word matches any accents; typed with them, only the same ones.
    Data written without diacritics (aliases like "vo chong") matches however it is typed."""
    return typed[1] == data[1] and (typed[0] == typed[1] or data[0] == data[1] or typed[0] == data[0])


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words as typed (normalised, with diacritics) and accent-free, token by token."""

    words: tuple[Word, ...]

    @staticmethod
    def of(text: str) -> Phrase:
        return Phrase(tuple((t, fold(t)) for t in _TOKEN.findall(normalize(text))))

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(w[1] for w in self.words)

    @property
    def joined(self) -> str:
        return "".join(self.folded)

    @property
    def marked(self) -> bool:
        return any(w[0] != w[1] for w in self.words)

    def __len__(self) -> int:
        return len(self.words)


def _same(typed: Sequence[Word], data: Sequence[Word]) -> bool:
    return len(typed) == len(data) and all(same_word(t, d) for t, d in zip(typed, data, strict=True))


def _contains(typed: Sequence[Word], phrase: Phrase) -> bool:
    n = len(phrase.words)
    return any(_same(typed[i : i + n], phrase.words) for i in range(len(typed) - n + 1))


def _same_or_negation(typed: Word, data: Word) -> bool:
    """The same word; a negation in data stands for any negation ("không" for "ko", "chưa")."""
    if same_word(typed, data):
        return True
    table = words()
    return typed[1] != "dung" and table.is_negation(data) and table.is_negation(typed)


def _follows(typed: Sequence[Word], pattern: tuple[Phrase, ...]) -> bool:
    """The words fit a pattern of parts between "…": the first part at the start, the others in
    order after it; a final "…" wants some word after the last part. A pattern without "…" is the
    whole answer (fillers aside)."""
    if not pattern:
        return False
    if len(pattern) == 1:  # no "…": the whole answer
        rest = [w for w in typed if not words().is_filler(w)]
        whole = pattern[0].words
        return len(rest) == len(whole) and all(map(_same_or_negation, rest, whole))
    at = 0
    for number, part in enumerate(pattern):
        n = len(part.words)
        if n == 0:
            if number == len(pattern) - 1 and at >= len(typed):
                return False  # "thôi …" needs something after "thôi"
            continue
        places = range(at, len(typed) - n + 1) if number else range(0, 1 if len(typed) >= n else 0)
        found = next(
            (
                i
                for i in places
                if all(_same_or_negation(t, d) for t, d in zip(typed[i : i + n], part.words, strict=True))
            ),
            None,
        )
        if found is None:
            return False
        at = found + n
    return True


@dataclass(frozen=True, slots=True)
class Words:
    """The contents of ``locales/words.toml`` and the abbreviations, ready to match."""

    intents: dict[str, tuple[Phrase, ...]]
    negation: tuple[Phrase, ...]
    fillers: tuple[Phrase, ...]
    weak: frozenset[str]  # accent-free
    stop: tuple[Phrase, ...]
    question_phrases: tuple[Phrase, ...]
    question_tails: tuple[Phrase, ...]
    emphatic: tuple[Phrase, ...]
    abbreviations: dict[str, tuple[tuple[Word, ...], ...]]  # accent-free word → its meanings
    vocatives: tuple[Phrase, ...] = ()
    frames: tuple[tuple[Phrase, Phrase], ...] = ()  # (opening, closing)
    modals: tuple[Phrase, ...] = ()
    quit: tuple[tuple[Phrase, ...], ...] = ()  # each pattern: its parts between "…"; () for "…"

    def intent(self, name: str) -> tuple[Phrase, ...]:
        return self.intents.get(name, ())

    def is_filler(self, word: Word, keep: frozenset[str] = frozenset()) -> bool:
        """A filler ("ạ", "nhé", "cho"), or a vocative ("bác", "cháu") that the menu on screen does
        not use as a word of its own (``keep``: the accent-free words of its options)."""
        if any(len(f) == 1 and same_word(word, f.words[0]) for f in self.fillers):
            return True
        return word[1] not in keep and any(word[0] == v.words[0][0] for v in self.vocatives)

    def is_negation(self, word: Word) -> bool:
        return any(same_word(word, n.words[0]) for n in self.negation)

    def is_modal(self, word: Word) -> bool:
        return any(same_word(word, m.words[0]) for m in self.modals)

    def is_emphatic(self, word: Word) -> bool:
        return any(same_word(word, e.words[0]) for e in self.emphatic)

    def is_stop(self, text: str) -> bool:
        """Typed alone inside a form, this leaves it (like /huy)."""
        typed = Phrase.of(text).words
        return bool(typed) and any(_same(typed, s.words) for s in self.stop)

    def quits(self, text: str) -> bool:
        """The answer says "I want to stop" ("thôi, không khai nữa"): a pattern of ``quit``."""
        typed = Phrase.of(text).words
        start = 0
        while start < len(typed) and self.is_filler(typed[start]):
            start += 1
        return any(_follows(typed[start:], pattern) for pattern in self.quit)


def _phrases(path: Path, where: str, value: object) -> tuple[Phrase, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and Phrase.of(v).words for v in value):
        raise WordsError(f"{path}: {where} must be a list of words")
    return tuple(Phrase.of(v) for v in value)


def load_words(path: Path = WORDS_FILE, abbreviations: Path = ABBREVIATIONS_FILE) -> Words:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        abbr = tomllib.loads(abbreviations.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as problem:
        raise WordsError(f"{path.name}: {problem}") from None
    intents_data = data.get("intents", {})
    if not isinstance(intents_data, dict):
        raise WordsError(f"{path}: [intents] must be a table of word lists")
    table = data.get("words", {})
    questions = data.get("questions", {})
    expansions: dict[str, list[tuple[Word, ...]]] = {}
    for source, section in ((abbr, "words"), (abbr, "variants"), (data, "abbreviations")):
        for key, value in source.get(section, {}).items():
            for meaning in value if isinstance(value, list) else [value]:
                if isinstance(meaning, str) and Phrase.of(meaning).words:
                    expansions.setdefault(fold(key), []).append(Phrase.of(meaning).words)
    negation = _phrases(path, "[words] negation", table.get("negation"))
    if any(len(n) != 1 for n in negation):
        raise WordsError(f"{path}: [words] negation must be single words")
    single: dict[str, tuple[Phrase, ...]] = {}
    for name in ("vocatives", "modals"):
        single[name] = _phrases(path, f"[words] {name}", table.get(name, []))
        if any(len(v) != 1 for v in single[name]):
            raise WordsError(f"{path}: [words] {name} must be single words")
    frames = []
    for frame in _strings(path, "[words] frames", table.get("frames", [])):
        opening, _dots, closing = frame.partition("…")
        if not _dots or not Phrase.of(opening).words or not Phrase.of(closing).words:
            raise WordsError(f"{path}: [words] frames are written “opening … closing”: {frame!r}")
        frames.append((Phrase.of(opening), Phrase.of(closing)))
    quit_patterns = []
    for pattern in _strings(path, "[words] quit", table.get("quit", [])):
        parts = tuple(Phrase.of(part) for part in pattern.split("…"))
        if not parts[0].words:
            raise WordsError(f"{path}: [words] quit patterns begin with words: {pattern!r}")
        quit_patterns.append(parts)
    return Words(
        intents={name: _phrases(path, f"[intents] {name}", listed) for name, listed in intents_data.items()},
        negation=negation,
        fillers=_phrases(path, "[words] fillers", table.get("fillers")),
        weak=frozenset(p.joined for p in _phrases(path, "[words] weak", table.get("weak"))),
        stop=_phrases(path, "[words] stop", table.get("stop")),
        question_phrases=_phrases(path, "[questions] phrases", questions.get("phrases")),
        question_tails=_phrases(path, "[questions] tails", questions.get("tails")),
        emphatic=_phrases(path, "[questions] emphatic", questions.get("emphatic", [])),
        abbreviations={k: tuple(dict.fromkeys(v)) for k, v in expansions.items()},
        vocatives=single["vocatives"],
        frames=tuple(frames),
        modals=single["modals"],
        quit=tuple(quit_patterns),
    )


def _strings(path: Path, where: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise WordsError(f"{path}: {where} must be a list of words")
    return list(value)


@cache
def words() -> Words:
    """The words file, read once (a malformed file raises ``WordsError`` naming it)."""
    return load_words()


# -- options -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Option:
    """One thing a person may pick: its key (short ASCII, in the payload), its label as shown and
    the words people type for it (``@name`` for a list of ``locales/words.toml``).

    Tables of options written with message ids (``N_("Yes")``) are shown through ``translated``.
    """

    key: str
    label: str
    aliases: tuple[str, ...] = ()

    def phrases(self) -> tuple[Phrase, ...]:
        found = [Phrase.of(self.label)]
        for alias in self.aliases:
            if alias.startswith("@"):
                found += words().intent(alias[1:])
            else:
                found.append(Phrase.of(alias))
        return tuple(p for p in found if len(p))

    @property
    def refusal(self) -> bool:
        """The "no" or "cancel" of its menu (aliases ``@no``/``@cancel``)."""
        return "@no" in self.aliases or "@cancel" in self.aliases

    @property
    def negative(self) -> bool:
        """Its words say "not": a refusal, or a label like "Tôi không đồng ý"."""
        return self.refusal or bool(_negations(Phrase.of(self.label).words, ""))


def translated(options: Iterable[Option]) -> list[Option]:
    """Options whose labels are message ids, in the person's language."""
    return [replace(o, label=_(o.label)) for o in options]


def buttons(step: str, options: Iterable[Option]) -> list[Button]:
    """Buttons for a step's options: payload ``step:key``; the aliases travel with the button so
    a typed word still picks it after the menu was saved (and after a restart)."""
    return [Button(o.label, f"{step}:{o.key}", o.aliases) for o in options]


def yes_no_options(yes: str, no: str) -> tuple[Option, Option]:
    """The two answers of a confirmation, labels as shown."""
    return Option("yes", yes, ("@yes",)), Option("no", no, ("@no", "@cancel"))


# -- reading what was typed ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Match:
    """What a typed answer picks: one option, several that fit equally, or a number not listed."""

    chosen: Option | None = None
    candidates: tuple[Option, ...] = ()
    number: int | None = None  # a typed number with nothing at that place

    @property
    def ambiguous(self) -> bool:
        return self.chosen is None and len(self.candidates) > 1


Keep = frozenset[str]  # accent-free words of the options on screen: vocatives among them are words


def _negations(typed: Sequence[Word], raw: str, keep: Keep = frozenset()) -> list[int]:
    """Places of the words that negate: "ko", "không", "chưa", "đừng"… A "không"/"chưa" at the end
    of a longer message asks a question ("có được không"); unaccented "dung" alone is "đúng"."""
    data = words()
    found: list[int] = []
    for i, word in enumerate(typed):
        if not data.is_negation(word):
            continue
        if word == ("dung", "dung"):
            following = typed[i + 1][1] if i + 1 < len(typed) else None
            if following is None or following in _RIGHT_AFTER or re.search(r"\bdung\s*,", fold(raw)):
                continue  # "dung", "dung roi", "dung, ..." = đúng
        before = [w for w in typed[:i] if not data.is_filler(w, keep)]
        if i == len(typed) - 1 and len(before) >= 2:
            continue  # a question's tail: "dang ky duoc khong"
        found.append(i)
    return found


def _readings(typed: Phrase) -> list[tuple[Word, ...]]:
    """The words as typed, then with abbreviations spelled out (each meaning of "đk")."""
    table = words().abbreviations
    choices: list[list[tuple[Word, ...]]] = []
    for word in typed.words:
        choices.append([(word,), *table.get(word[1], ())])
    readings = []
    for combo in itertools.islice(itertools.product(*choices), _MAX_READINGS):
        readings.append(tuple(w for part in combo for w in part))
    return list(dict.fromkeys(readings))


def _fits(typed: Word, word: Word, fuzzy: bool) -> bool:
    """A typed word fits a word of a label: the same word, its start (3 letters or more), any
    negation for any other ("chưa" for "không"), or, with ``fuzzy``, one typo."""
    if same_word(typed, word):
        return True
    t, w = typed[1], word[1]
    if is_number(t) or is_number(w):
        return False
    data = words()
    if t != "dung" and data.is_negation(typed) and data.is_negation(word):
        return True
    if len(t) >= 3 and w.startswith(t) and (typed[0] == t or word[0].startswith(typed[0])):
        return True
    if fuzzy and len(t) >= 4 and len(w) >= 4:
        both_marked = typed[0] != t and word[0] != w
        a, b = (typed[0], word[0]) if both_marked else (t, w)
        return OSA.distance(a, b, score_cutoff=1) <= 1
    return False


def _part_of(typed: Sequence[Word], phrase: Phrase, fuzzy: bool) -> bool:
    """Every typed word is a word of the phrase (or the start of one; with ``fuzzy``, one typo)."""
    return bool(typed) and all(any(_fits(t, w, fuzzy) for w in phrase.words) for t in typed)


def _substantial(phrase: Phrase) -> bool:
    """Strong enough to name a choice from inside a longer answer (a bare "không" is not: inside
    an answer it negates the rest, see ``_negated_pick``)."""
    if all(words().is_negation(w) for w in phrase.words):
        return False
    if len(phrase) >= 2:
        return True
    word = phrase.folded[0]
    return len(word) >= 3 and not is_number(word) and word not in words().weak


def _core(typed: Sequence[Word], keep: Keep = frozenset()) -> tuple[Word, ...]:
    """What an answer says: without fillers and vocatives ("cho bác … nhé"), without the closing
    word of a polite frame ("cho … với"), and without a modal after a negation ("không cần nhắc"
    says "không nhắc")."""
    data = words()
    rest = list(typed)
    start = 0
    while start < len(rest) and data.is_filler(rest[start], keep) and not data.is_filler(rest[start]):
        start += 1  # "bác cho cháu … với": the frame opens after the vocative
    for opening, closing in data.frames:
        n, m = len(opening), len(closing)
        if not _same(rest[start : start + n], opening.words):
            continue
        end = len(rest)
        while end - m >= start + n and not _same(rest[end - m : end], closing.words):
            if not data.is_filler(rest[end - 1], keep):
                break
            end -= 1
        if end - m > start + n and _same(rest[end - m : end], closing.words):
            del rest[end - m : end]
            break
    found: list[Word] = []
    for word in rest:
        if data.is_filler(word, keep):
            continue
        if found and data.is_modal(word) and data.is_negation(found[-1]):
            continue
        if data.is_emphatic(word) and any(data.is_negation(w) for w in found):
            continue  # "không đồng ý đâu"
        found.append(word)
    return tuple(found)


def number_in(text: str, keep: Keep = frozenset()) -> int | None:
    """A typed number alone ("2", "số 2", "chọn 2 ạ", "cho bác số 2 nhé"), or None (ASCII digits
    only: "²" and "①" are not numbers here)."""
    typed = _core(Phrase.of(text).words, keep)
    if len(typed) == 1:
        return parse_int(typed[0][1], 0, 9999)
    return None


Test = Callable[[tuple[Word, ...], tuple[Phrase, ...]], bool]


def _exact(typed: tuple[Word, ...], phrases: tuple[Phrase, ...]) -> bool:
    joined = "".join(w[1] for w in typed)
    return any(_same(typed, p.words) or (len(p) > 1 and joined == p.joined) for p in phrases)


def _start(typed: tuple[Word, ...], phrases: tuple[Phrase, ...]) -> bool:
    return any(len(p) > len(typed) and _same(typed, p.words[: len(typed)]) for p in phrases)


def _part(typed: tuple[Word, ...], phrases: tuple[Phrase, ...]) -> bool:
    return any(_part_of(typed, p, fuzzy=False) for p in phrases)


def _fuzzy(typed: tuple[Word, ...], phrases: tuple[Phrase, ...]) -> bool:
    joined = "".join(w[1] for w in typed)
    return any(
        _part_of(typed, p, fuzzy=True)
        or (len(joined) >= 5 and OSA.distance(joined, p.joined, score_cutoff=1) <= 1)
        for p in phrases
    )


def match(text: str, options: Sequence[Option], *, numbers: bool = True, exact: bool = False) -> Match:
    """Read a typed answer against the options, in the order shown (see the module's docstring).

    ``numbers=False`` where the list is not on screen any more: a number then picks nothing.
    ``exact``: only a number, or a whole label or alias (abbreviations spelled out)."""
    typed = Phrase.of(text)
    if not typed.words:
        return Match()
    phrases = [(o, o.phrases()) for o in options]
    keep = frozenset(w[1] for _o, ps in phrases for p in ps for w in p.words)
    number = number_in(text, keep)
    if number is not None:
        if numbers and 1 <= number <= len(options):
            return Match(chosen=options[number - 1])
        if number > len(options):  # no place in the list: a number of one label ("2015", "tổ 14")?
            named = [o for o, ps in phrases if any((str(number), str(number)) in p.words for p in ps)]
            if len(named) == 1:
                return Match(chosen=named[0])
        return Match(number=number)
    negated = bool(_negations(typed.words, text, keep))
    # A question names a choice only by its whole words ("đăng ký ở đâu?" is not "Đăng ký").
    asking = is_question(text)
    readings = _readings(typed)
    bare = list(dict.fromkeys(r for r in (_core(t, keep) for t in readings) if r and r not in readings))
    reading = _Reading(typed, text, keep)

    def pick(test: Test, group: list[tuple[Word, ...]]) -> list[Option]:
        return [o for o, ps in phrases if any(test(r, ps) for r in group)]

    # Exact first, over every reading: "khong" is the "no", whatever else "không" is part of.
    for group in (readings, bare):
        found = pick(_exact, group)
        if found:
            return _settle(found, reading, None)
    if exact:
        return Match()
    # Beyond whole labels and aliases, an answer of only common little words names nothing — but
    # the first words of a label, two or more, do ("bỏ người này" for "Bỏ người này khỏi danh sách").
    for group in (readings, bare):
        found = pick(_start, [r for r in group if len(r) >= 2])
        if found:
            settled = _settle(found, reading, negated)
            if settled.chosen is not None or settled.candidates:
                return settled
    weak = words().weak
    strong = [[r for r in group if any(w[1] not in weak for w in r)] for group in (readings, bare)]
    for test in (_part,) if asking else (_part, None, _fuzzy):
        for group in strong:
            found = _mentioned(group, phrases, keep) if test is None else pick(test, group)
            settled = _settle(found, reading, negated)
            if settled.chosen is not None or settled.candidates:
                return settled
    if negated and not asking:
        return _negated_pick(reading, options)
    return Match()


@dataclass(frozen=True, slots=True)
class _Reading:
    """A typed answer as the matcher reads it, beside the options on screen (``keep``)."""

    typed: Phrase
    raw: str
    keep: Keep

    @property
    def core(self) -> tuple[Word, ...]:
        return _core(self.typed.words, self.keep)

    def negated_verb(self, option: Option) -> bool:
        """The negation falls on what the option does: "ko huỷ" on "Huỷ chỗ", "đừng tắt" on "Tắt
        nhắc lịch" — not that option, whatever else the answer names."""
        core = self.core
        verbs = _verbs(option)
        return any(
            i + 1 < len(core) and any(_fits(core[i + 1], verb, fuzzy=False) for verb in verbs)
            for i in _negations(core, self.raw, self.keep)
        )


def _verbs(option: Option) -> list[Word]:
    """What an option does, as single words of its word lists (``@cancel``: "huỷ", "bỏ"…)."""
    data = words()
    return [
        p.words[0]
        for alias in option.aliases
        if alias.startswith("@")
        for p in data.intent(alias[1:])
        if len(p) == 1 and not data.is_negation(p.words[0])
    ]


def _mentioned(
    readings: Sequence[tuple[Word, ...]], phrases: Sequence[tuple[Option, tuple[Phrase, ...]]], keep: Keep
) -> list[Option]:
    """Options whose label or alias appears inside a short answer ("cho tôi đăng ký", "tôi muốn
    huỷ": one other word at most besides fillers); the longest mention wins."""
    best, found = 0, []
    short = [r for r in readings if len(_core(r, keep)) <= 4]
    for option, ps in phrases:
        length = max(
            (
                len(p)
                for p in ps
                if _substantial(p)
                and any(_contains(r, p) and len(_core(r, keep)) - len(p) <= 1 for r in short)
            ),
            default=0,
        )
        if length > best:
            best, found = length, [option]
        elif length and length == best:
            found.append(option)
    return found


def _settle(found: list[Option], reading: _Reading, negated: bool | None) -> Match:
    """One option, or the candidates; ``negated`` (None for exact matches) keeps the polarity:
    a negated answer picks only a "no" (never the one whose own verb it negates), a plain one
    prefers what is not a "no"."""
    found = list(dict.fromkeys(found))
    typed = reading.typed
    if negated is not None and found:
        if negated:
            found = [o for o in found if o.negative and not reading.negated_verb(o)]
        else:
            found = [o for o in found if not o.negative] or found
    if len(found) > 1 and typed.marked:
        # Typed with diacritics: prefer the options whose words carry the same ones ("bỏ", "bố").
        marked = [o for o in found if any(set(typed.words) <= set(p.words) for p in o.phrases())]
        found = marked or found
    if len(found) == 1:
        return Match(chosen=found[0])
    return Match(candidates=tuple(found))


# Aliases of the option that says "yes, do it" in a menu: negating it means the menu's "no".
_GO_AHEAD = frozenset({"@yes", "@send", "@save", "@approve"})


def _negated_pick(reading: _Reading, options: Sequence[Option]) -> Match:
    """ "ko luu", "dung gui", "ko xoa": negating a menu's go-ahead picks its one "no" (in a yes/no
    question, negating the yes). Negating anything else ("ko sua") picks nothing."""
    negative = [o for o in options if o.refusal]
    if len(negative) != 1:
        return Match()
    targets = [o for o in options if not o.negative and (len(options) == 2 or _GO_AHEAD & set(o.aliases))]
    core = reading.core
    places = set(_negations(core, reading.raw, reading.keep))
    rest = tuple(w for i, w in enumerate(core) if i not in places)
    if not rest:
        return Match(chosen=negative[0]) if len(options) == 2 else Match()
    for target in targets:
        ps = target.phrases()
        if _fuzzy(rest, ps) or _mentioned([rest], [(target, ps)], reading.keep):
            return Match(chosen=negative[0])
    return Match()


# -- several at once ---------------------------------------------------------------------------
_SEPARATORS = frozenset({"va", "and", "voi", "vs", "cung"})


@dataclass(frozen=True, slots=True)
class Several:
    """A typed answer to a list where several may apply ("1 3", "1, 3 và 4", "đọc sách, xong")."""

    keys: tuple[str, ...] = ()  # named, in order, each once
    unknown: tuple[str, ...] = ()  # parts that name nothing (or a number not listed)
    ambiguous: tuple[str, ...] = ()  # parts that name several


def several(text: str, options: Sequence[Option], *, numbers: bool = True) -> Several:
    """Every option named: numbers (their place as shown), words, or both, separated by spaces
    between numbers, commas, "và"/"and". ``numbers=False``: the list is no longer on screen."""
    parts: list[str] = []
    for chunk in re.split(r"[,;+&/\n]", text):
        current: list[str] = []
        for token in chunk.split():
            bare = token.strip(".)#:")
            if fold(bare) in _SEPARATORS or is_number(bare):
                if current:
                    parts.append(" ".join(current))
                    current = []
                if is_number(bare):
                    parts.append(bare)
            else:
                current.append(token)
        if current:
            parts.append(" ".join(current))
    keys: list[str] = []
    unknown: list[str] = []
    unclear: list[str] = []
    for part in parts:
        if not is_number(part) and not _core(Phrase.of(part).words):
            continue
        found = match(part, options, numbers=numbers)
        if found.chosen is not None:
            if found.chosen.key not in keys:
                keys.append(found.chosen.key)
        elif found.ambiguous:
            unclear.append(part)
        else:
            unknown.append(part)
    return Several(tuple(keys), tuple(unknown), tuple(unclear))


# -- questions -----------------------------------------------------------------------------------
def is_question(text: str) -> bool:
    """Clearly a question: ends with "?", contains a question phrase ("là gì", "bao giờ"), or ends
    with "không"/"chưa" after at least two other words ("có được không")."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.endswith("?"):
        return True
    typed = Phrase.of(stripped).words
    data = words()
    for phrase in data.question_phrases:
        n = len(phrase)
        for i in range(len(typed) - n + 1):
            if not _same(typed[i : i + n], phrase.words):
                continue
            emphasis = n == 1 and data.is_emphatic(typed[i]) and any(map(data.is_negation, typed[:i]))
            if not emphasis:  # "hk đồng ý đâu" says "not at all"
                return True
    if len(_core(typed)) < 3:
        return False
    return any(_same(typed[-1:], tail.words) for tail in data.question_tails)


def touches(text: str, option: Option) -> bool:
    """Some typed word (abbreviations spelled out) is, starts, or is one typo from a word of the
    option's label or aliases: the least a typed answer must do to name that option."""
    words_of = [w for p in option.phrases() for w in p.words]
    return any(
        _fits(typed, word, fuzzy=True)
        for reading in _readings(Phrase.of(text))
        for typed in reading
        for word in words_of
    )


def negates(text: str) -> bool:
    """The answer says "no", "not", "don't"… before anything else (see ``_negations``)."""
    return bool(_negations(Phrase.of(text).words, text))


def looks_like_a_choice(text: str, options: Sequence[Option]) -> bool:
    """An attempt at one of the options that missed: a number, or a short answer (three words at
    most besides fillers and negations, not a question) whose every word is, starts, or is one typo
    from a word of the options — a number beside such words too ("tổ 7" where there are Tổ 1-3).
    A new question sharing a word or two with them is not one."""
    if number_in(text) is not None:
        return True
    if is_question(text):
        return False
    data = words()
    typed = [w for w in _core(Phrase.of(text).words) if not data.is_negation(w)]
    named = [w for w in typed if not is_number(w[1])]
    if not named or len(typed) > 3:
        return False
    known = [w for o in options for p in o.phrases() for w in p.words]
    return all(any(_fits(t, w, fuzzy=len(t[1]) >= 4) for w in known) for t in named)


# -- menus kept in the conversation state ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MenuEntry:
    label: str
    payload: str
    aliases: tuple[str, ...] = ()

    def saved(self) -> tuple[str, ...]:
        return (self.label, self.payload, *self.aliases)

    @staticmethod
    def load(entry: Sequence[str]) -> MenuEntry:
        label, payload, *aliases = entry
        return MenuEntry(label, payload, tuple(aliases))


@dataclass(frozen=True, slots=True)
class Menu:
    """The buttons last shown, in order: live only while they are the last thing on screen."""

    entries: tuple[MenuEntry, ...] = field(default_factory=tuple)

    @staticmethod
    def of(saved: Sequence[Sequence[str]]) -> Menu:
        return Menu(tuple(MenuEntry.load(e) for e in saved if len(e) >= 2))

    @staticmethod
    def from_buttons(shown: Iterable[Button]) -> Menu:
        return Menu(tuple(MenuEntry(b.label, b.payload, b.aliases) for b in shown))

    def saved(self) -> list[tuple[str, ...]]:
        return [e.saved() for e in self.entries]

    def options(self) -> list[Option]:
        """The entries as options whose key is the payload."""
        return [Option(e.payload, e.label, e.aliases) for e in self.entries]

    def buttons(self, payloads: Iterable[str] | None = None) -> list[Button]:
        wanted = set(payloads) if payloads is not None else None
        return [
            Button(e.label, e.payload, e.aliases)
            for e in self.entries
            if wanted is None or e.payload in wanted
        ]

    def belongs_to(self, step: str) -> bool:
        """Every entry is a button of this step (payload ``step:…``)."""
        return bool(self.entries) and all(e.payload.startswith(f"{step}:") for e in self.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
