"""Matching a typed question to a topic of the knowledge base.

1. Analysis (``handlers.faq.analyze``): NFC, lower case, one tone placement, abbreviations, regional
   words and phrases mapped ("hông" → "không", "bao nhiêu" → "mấy"), particles dropped, grammar
   words marked weak; each word kept with and without diacritics.
2. Unknown accent-free words are repaired against the knowledge base's vocabulary: words typed
   together are split ("giadinh" → "gia dinh"), and a typo within one or two edits is corrected
   (rapidfuzz Levenshtein), preferring the more frequent word on a tie.
3. Relevance: Okapi BM25 over accent-free words and word pairs (Vietnamese words are mostly
   two syllables) of each topic's phrasings and keywords, plus a lighter BM25 over its answer
   text, plus BM25 over the accented forms when the question has diacritics (so "bạn" and
   "ban" can differ).
4. Confidence (0–1): how much of the question's information (IDF-weighted words and word
   pairs) a topic explains, blended with rapidfuzz similarity to its closest phrasing. Weak
   words and years weigh little, so a long, chatty question ("nhà có 3 đứa con đi học hết thì
   có đủ điều kiện gđht hông") keeps the confidence of its short form, while an unknown
   compound ("kết hôn", "bị sốt") still shows a question about something else. Topics are
   ranked by confidence plus half the relevance (scaled to the best topic). Below ``THRESHOLD``
   the bot does not guess; the candidates are still returned so the chat can offer them.
5. Precision (issue 12): thanks, greetings and "ok" (``Lexicon.kind``), one everyday word, grammar
   words alone and bare numbers never get a topic (``Match.kind`` says which). When a question
   names a title ("dòng họ học tập"), topics about another title rank last at half confidence.
6. Out of scope (issue 12, second round): a question about another office's subject that shares
   our words ("làm căn cước công dân", "đăng ký tạm trú", "học phí") keeps ``Tuning.outside`` of
   its confidence, unless it names a title or a word of the campaign ("quỹ", "khuyến học"). Both
   lists are data: ``[outside]`` in the abbreviations file.
7. Narrower topics (``within`` and ``marks`` in the knowledge file): between a topic and the
   broader one it narrows ("cdht_scoring" within "title.cong_dan"), the narrower one's marks
   decide ("phần mềm", "chấm điểm"), not the words the two share: without a mark the broader
   topic answers.

BM25 is the textbook formula (a few lines; the index is ~30 topics, so no library is needed
for it); fuzzy matching and edit distances come from rapidfuzz.
"""

from __future__ import annotations

import enum
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.text import strip_html
from handlers.faq.analyze import Kind, Lexicon, Word, analyze
from handlers.faq.knowledge import Knowledge

THRESHOLD = 0.40  # leave-one-set-out over holdout, blind 1–3 (bench/faq.py --calibrate; BENCHMARKS.md)
TOP_N = 3

# The shape of one Vietnamese syllable without diacritics (onset, vowels, final consonant).
# A word of this shape that we do not know is most likely a real word of another subject
# ("tiet" in "thoi tiet"), not a typo: correcting it to a known word would invent a match.
_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ch|nh|ng|[cmnpt])?$"
)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Knobs of the ranking; defaults were set on the evaluation, held-out and first blind sets
    (see bench/faq.py); those added for issue 12 on the evaluation set only. Accuracy barely
    moves across wide ranges of them: the gains came from the analysis (weak words, regional
    words, phrases) and the knowledge base, not from these."""

    k1: float = 1.2
    b: float = 0.5
    bigram_weight: float = 1.0
    accented_weight: float = 0.3
    relevance_weight: float = 0.5  # BM25 (scaled to the best topic) added to the confidence to rank
    coverage_share: float = 0.6  # of the confidence; the rest is phrasing similarity
    bigram_coverage: float = 0.5  # share of word pairs (vs single words) in the coverage
    unknown_weight: float = 1.25  # an unknown word weighs this many times the rarest known word
    answer_weight: float = 0.3  # BM25 on the answers' text, beside the phrasings
    answer_credit: float = 0.5  # a word only in the answer counts this much in the coverage
    more_weight: float = 0.05  # BM25 on the details ("more"): they often point to other topics
    more_credit: float = 0.3  # a word only in the details counts this much in the coverage
    keyword_repeat: int = 2  # keywords count as this many phrasings
    max_edit: int = 1  # typo distance for words up to 6 letters; one more for longer words
    min_segment: int = 5  # shortest run of letters we try to split into known words
    shortlist: int = 8  # topics weighed in full, the most relevant by BM25
    weak_weight: float = 0.3  # a known weak word ("có", "rồi") counts this much in the coverage
    weak_relevance: float = 0.5  # and this much in the relevance
    weak_pair_weight: float = 0.3  # a known word pair with a weak word, in the coverage
    year_weight: float = 0.3  # a year ("năm 2025") is context, rarely the subject
    other_title: float = 0.5  # confidence kept by a topic about another title than the one named
    common_topics: int = 3  # a lone word (or word pair) in this many topics says too little
    outside: float = 0.5  # confidence kept by a question about another office's subject (issue 12)


@dataclass(frozen=True, slots=True)
class Candidate:
    topic: str
    score: float  # confidence, 0–1


@dataclass(frozen=True, slots=True)
class Match:
    topic: str | None  # None when the best candidate is below the threshold
    score: float  # confidence of the best candidate (0 when nothing matched at all)
    candidates: tuple[Candidate, ...]  # best first
    kind: Kind = Kind.QUESTION  # thanks, greetings, "ok" and one-word messages never get a topic


@dataclass(slots=True)
class _Bm25:
    """Okapi BM25 over one bag of terms per topic."""

    postings: dict[str, dict[int, int]]
    idf: dict[str, float]
    norm: list[float]  # k1 * (1 - b + b * len / avg) per topic
    k1: float

    @classmethod
    def build(cls, docs: list[Counter[str]], k1: float, b: float) -> _Bm25:
        postings: dict[str, dict[int, int]] = {}
        for index, doc in enumerate(docs):
            for term, tf in doc.items():
                postings.setdefault(term, {})[index] = tf
        n = len(docs)
        idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}
        lengths = [sum(d.values()) for d in docs]
        avg = sum(lengths) / max(1, n)
        norm = [k1 * (1 - b + b * length / avg) for length in lengths]
        return cls(postings, idf, norm, k1)

    def scores(self, terms: Iterable[str], weights: dict[str, float] | None = None) -> dict[int, float]:
        result: dict[int, float] = {}
        for term in terms:
            posting = self.postings.get(term)
            if not posting:
                continue
            weight = self.idf[term] * (weights.get(term, 1.0) if weights else 1.0)
            for doc, tf in posting.items():
                result[doc] = result.get(doc, 0.0) + weight * tf * (self.k1 + 1) / (tf + self.norm[doc])
        return result


class Prepared(NamedTuple):
    folded: list[str]  # accent-free words after repair
    weak: list[bool]  # per word: grammar only
    norms: list[str]  # words as typed (normalised)
    accented: bool  # whether the question had diacritics


_YEAR = re.compile(r"^(19|20)\d\d$")


class _Grammar(enum.IntEnum):
    """How much of a term is grammar (see ``Matcher._grammar``); lower is stronger."""

    NONE = 0  # content words only
    PART = 1  # a weak word beside a word no topic knows ("bị sốt")
    CHATTER = 2  # a weak word beside a known word ("rồi muốn")
    ALL = 3  # weak words only


class _Phrases:
    """Word sequences to look for in a question, indexed by their first word."""

    def __init__(self, phrases: Iterable[tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            if phrase:
                self._by_first.setdefault(phrase[0], []).append(phrase)

    def found(self, folded: list[str]) -> bool:
        for i, word in enumerate(folded):
            for phrase in self._by_first.get(word, ()):
                if tuple(folded[i : i + len(phrase)]) == phrase:
                    return True
        return False


def _contains(folded: list[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    """Whether any of the phrases (word sequences) occurs in ``folded``."""
    return _Phrases(phrases).found(folded)


def _pairs(tokens: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


def _terms(tokens: list[str]) -> list[str]:
    """Words and adjacent word pairs (pairs written "a_b")."""
    return tokens + _pairs(tokens)


class Matcher:
    def __init__(
        self,
        bases: Iterable[Knowledge],
        lexicon: Lexicon,
        threshold: float = THRESHOLD,
        tuning: Tuning | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.threshold = threshold
        self.tuning = tuning or Tuning()
        t = self.tuning
        ids: list[str] = []
        asked: dict[str, list[tuple[str, int]]] = {}  # phrasings, titles, keywords (with repeats)
        naming: dict[str, list[str]] = {}  # titles and keywords: what a topic is about
        told: dict[str, list[str]] = {}  # answers (the first message)
        detailed: dict[str, list[str]] = {}  # their "more" (the details, on request)
        within: dict[str, str] = {}  # a narrower topic → its broader one
        marks: dict[str, list[str]] = {}  # and the words that make a question about it
        for base in bases:
            for topic in base.topics:
                if topic.id not in asked:
                    ids.append(topic.id)
                    asked[topic.id], told[topic.id], detailed[topic.id] = [], [], []
                naming.setdefault(topic.id, []).extend((topic.title, *topic.keywords))
                asked[topic.id].append((topic.title, 1))
                asked[topic.id].extend((q, 1) for q in topic.questions)
                asked[topic.id].extend((k, t.keyword_repeat) for k in topic.keywords)
                told[topic.id].append(strip_html(topic.answer))
                if topic.more:
                    detailed[topic.id].append(strip_html(topic.more))
                if topic.within:
                    within[topic.id] = topic.within
                    marks.setdefault(topic.id, []).extend(topic.marks)
        self.ids = ids
        folded_docs: list[Counter[str]] = []
        accented_docs: list[Counter[str]] = []
        answer_docs: list[Counter[str]] = []
        more_docs: list[Counter[str]] = []
        self._phrasings: list[list[str]] = []  # per topic, accent-free
        vocabulary: Counter[str] = Counter()
        for index, topic_id in enumerate(ids):
            folded_doc: Counter[str] = Counter()
            accented_doc: Counter[str] = Counter()
            self._phrasings.append([])
            for text, repeat in asked[topic_id]:
                words = analyze(text, lexicon, question=False)
                folded = [w.folded for w in words]
                for _ in range(repeat):
                    folded_doc.update(_terms(folded))
                    accented_doc.update(_terms([w.norm for w in words]))
                vocabulary.update(folded)
                if folded:
                    self._phrasings[index].append(" ".join(folded))
            answer_doc: Counter[str] = Counter()
            for text in told[topic_id]:
                folded = [w.folded for w in analyze(text, lexicon, question=False)]
                answer_doc.update(_terms(folded))
                vocabulary.update(folded)
            more_doc: Counter[str] = Counter()
            for text in detailed[topic_id]:
                folded = [w.folded for w in analyze(text, lexicon, question=False)]
                more_doc.update(_terms(folded))
                vocabulary.update(folded)
            folded_docs.append(folded_doc)
            accented_docs.append(accented_doc)
            answer_docs.append(answer_doc)
            more_docs.append(more_doc)
        self._folded = _Bm25.build(folded_docs, t.k1, t.b)
        self._accented = _Bm25.build(accented_docs, t.k1, t.b)
        self._answers = _Bm25.build(answer_docs, t.k1, t.b)
        self._more = _Bm25.build(more_docs, t.k1, t.b)
        # For the confidence: how rare each term is across topics, in the phrasings and answers.
        # A term only in the details ("more") weighs as an unknown one (see ``_coverage``).
        union = [
            Counter({term: 1 for term in (*a, *b)}) for a, b in zip(folded_docs, answer_docs, strict=True)
        ]
        self._either = _Bm25.build(union, t.k1, t.b)
        self._vocabulary = vocabulary
        self._vocab_list = sorted(w for w in vocabulary if not w.isdigit())
        self._syllables = frozenset(w for w in self._vocab_list if len(w) >= 2)
        self._max_idf = max(self._either.idf.values(), default=1.0)
        self._repair = lru_cache(maxsize=4096)(self._repair_uncached)
        # The five titles, as word sequences, and the titles each topic is about.
        self._titles = {
            key: [tuple(w.folded for w in analyze(name, lexicon, question=False)) for name in names]
            for key, names in lexicon.titles.items()
        }
        # Other offices' subjects, and the campaign's words that keep a question ours (data).
        self._outside = _Phrases(self._phrase(text) for text in lexicon.outside)
        self._ours = _Phrases(self._phrase(text) for text in lexicon.ours)
        position = {topic_id: i for i, topic_id in enumerate(ids)}
        self._families = [
            (position[child], position[broader], _Phrases(self._phrase(m) for m in marks[child]))
            for child, broader in within.items()
            if broader in position
        ]
        self._about = [
            frozenset().union(
                *(
                    self._named([w.folded for w in analyze(text, lexicon, question=False)])
                    for text in naming[i]
                )
            )
            for i in ids
        ]

    def _phrase(self, text: str) -> tuple[str, ...]:
        return tuple(w.folded for w in analyze(text, self.lexicon, question=False))

    # -- word repair ---------------------------------------------------------------------------
    def _segment(self, word: str) -> list[str] | None:
        """Split letters typed together into known words, fewest pieces first."""
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 7), end - 1):
                head = best[start]
                piece = word[start:end]
                if head is not None and piece in self._syllables:
                    if best[end] is None or len(head) + 1 < len(best[end] or []):
                        best[end] = [*head, piece]
        found = best[n]
        return found if found is not None and len(found) >= 2 else None

    def _repair_uncached(self, word: str) -> tuple[str, ...]:
        if word in self._vocabulary or word.isdigit() or len(word) < 3 or _SYLLABLE.match(word):
            return (word,)
        if len(word) >= self.tuning.min_segment:
            pieces = self._segment(word)
            if pieces:
                return tuple(pieces)
        limit = self.tuning.max_edit + (1 if len(word) > 6 else 0)
        hits = process.extract(
            word, self._vocab_list, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
        )
        if not hits:
            return (word,)
        best = min(hits, key=lambda hit: (hit[1], -self._vocabulary[hit[0]], hit[0]))
        return (best[0],)

    def _prepare(self, text: str) -> Prepared:
        words: list[Word] = analyze(text, self.lexicon)
        folded: list[str] = []
        weak: list[bool] = []
        for word in words:
            repaired = self._repair(word.folded)
            folded.extend(repaired)
            weak.extend([word.weak] * len(repaired))
        return Prepared(folded, weak, [w.norm for w in words], any(w.accented for w in words))

    def _grammar(self, folded: list[str], weak: list[bool]) -> dict[str, _Grammar]:
        """How much grammar each word and word pair of a question is, position by position.

        "chỉ" (only) is weak where "chí" of "tiêu chí" is not, though both fold to "chi": a term
        takes its strongest occurrence.
        """
        if all(weak):  # a question of weak words only ("có ai không"): they are all it has
            weak = [False] * len(weak)
        result: dict[str, _Grammar] = {}

        def note(term: str, grammar: _Grammar) -> None:
            seen = result.get(term)
            result[term] = grammar if seen is None else min(seen, grammar)

        for word, is_weak in zip(folded, weak, strict=True):
            note(word, _Grammar.ALL if is_weak else _Grammar.NONE)
        for (a, weak_a), (b, weak_b) in itertools.pairwise(zip(folded, weak, strict=True)):
            if weak_a and weak_b:
                grammar = _Grammar.ALL
            elif weak_a or weak_b:
                # "rồi muốn" is chatter; "bị sốt" carries a word no topic knows.
                content = b if weak_a else a
                grammar = _Grammar.CHATTER if content in self._either.idf else _Grammar.PART
            else:
                grammar = _Grammar.NONE
            note(f"{a}_{b}", grammar)
        return result

    def _term_weights(self, grammar: dict[str, _Grammar]) -> dict[str, float]:
        """Relevance weights apart from IDF: word pairs, weak words, years."""
        t = self.tuning
        weights: dict[str, float] = {}
        for term, level in grammar.items():
            weight = t.bigram_weight if "_" in term else 1.0
            if level is _Grammar.ALL:
                weight *= t.weak_relevance
            if any(_YEAR.match(p) for p in term.split("_")):
                weight *= t.year_weight
            if weight != 1.0:
                weights[term] = weight
        return weights

    def _named(self, folded: list[str]) -> frozenset[str]:
        """The titles that a sequence of words names ("gia dinh hoc tap" → title.gia_dinh)."""
        found = set()
        for key, names in self._titles.items():
            for name in names:
                size = len(name)
                if any(tuple(folded[i : i + size]) == name for i in range(len(folded) - size + 1)):
                    found.add(key)
                    break
        return frozenset(found)

    def _foreign(self, folded: list[str], named: frozenset[str]) -> bool:
        """Whether a question is about another office's subject ("làm căn cước công dân ở đâu"):
        it names one (``[outside]`` of the abbreviations file) and neither a title nor a word of
        the campaign ("quỹ khuyến học có hỗ trợ hộ nghèo không" stays ours)."""
        return not named and self._outside.found(folded) and not self._ours.found(folded)

    def _too_short(self, folded: list[str], weak: list[bool]) -> bool:
        """One everyday word ("học", "gia đình"), grammar words only, or a bare number: no topic.

        A word pair that few topics use ("khuyết tật") is specific enough to answer, and so is a
        single word with a question word ("quỹ là gì"), since the candidates are still weighed.
        """
        strong = [w for w, is_weak in zip(folded, weak, strict=True) if not is_weak]
        if all(w.isdigit() for w in folded) or not strong:
            return True
        if len(strong) < len(folded):
            return False
        if len(strong) == 1:
            return True
        if len(strong) == 2:
            pair = f"{strong[0]}_{strong[1]}"
            common = len(self._either.postings.get(pair, ())) >= self.tuning.common_topics
            return common or any(w.isdigit() for w in strong)
        return False

    # -- matching -------------------------------------------------------------------------------
    def match(self, text: str) -> Match:
        kind = self.lexicon.kind(text)
        if kind is not Kind.QUESTION:
            return Match(None, 0.0, (), kind)
        folded, weak, norms, accented = self._prepare(text)
        if not folded:
            return Match(None, 0.0, (), Kind.SHORT)
        short = self._too_short(folded, weak)
        if all(w.isdigit() for w in folded):
            return Match(None, 0.0, (), Kind.SHORT)  # a number alone suggests no topic
        t = self.tuning
        grammar = self._grammar(folded, weak)
        unique = list(grammar)
        weights = self._term_weights(grammar)
        relevance = self._folded.scores(unique, weights)
        for doc, value in self._answers.scores(unique, weights).items():
            relevance[doc] = relevance.get(doc, 0.0) + t.answer_weight * value
        for doc, value in self._more.scores(unique, weights).items():
            relevance[doc] = relevance.get(doc, 0.0) + t.more_weight * value
        if accented:
            typed = dict.fromkeys(_terms(norms), _Grammar.NONE)
            for doc, value in self._accented.scores(typed, self._term_weights(typed)).items():
                relevance[doc] = relevance.get(doc, 0.0) + t.accented_weight * value
        if not relevance:
            return Match(None, 0.0, (), Kind.SHORT if short else Kind.QUESTION)
        # Only the most relevant topics are weighed in full: it keeps the answer time flat.
        scale = max(relevance.values())
        shortlist = sorted(relevance, key=lambda doc: (-relevance[doc], doc))[: t.shortlist]
        query = " ".join(folded)
        named = self._named(folded)
        foreign = self._foreign(folded, named)
        scored: list[list[float]] = []  # [rank, confidence, doc, set aside for another title]
        for doc in shortlist:
            best = process.extractOne(query, self._phrasings[doc], scorer=fuzz.token_sort_ratio)
            sim = best[1] / 100 if best else 0.0
            coverage = self._coverage(grammar, doc)
            confidence = t.coverage_share * coverage + (1 - t.coverage_share) * sim
            rank = confidence + t.relevance_weight * relevance[doc] / scale
            aside = bool(named and self._about[doc] and not named & self._about[doc])
            if aside:
                # The question names a title and this topic is about another one: it loses.
                confidence *= t.other_title
                rank -= 2
            if foreign:
                confidence *= t.outside
            scored.append([rank, confidence, doc, aside])
        self._narrow(scored, folded)
        scored.sort(key=lambda item: (-item[0], item[2]))
        candidates = tuple(
            Candidate(self.ids[int(doc)], round(conf, 4)) for _rank, conf, doc, _aside in scored[:TOP_N]
        )
        top = candidates[0]
        if short:
            return Match(None, top.score, candidates, Kind.SHORT)
        return Match(top.topic if top.score >= self.threshold else None, top.score, candidates)

    def _narrow(self, scored: list[list[float]], folded: list[str]) -> None:
        """Between a narrower topic and its broader one, the marks decide, not the shared words.

        With a mark of the narrower topic ("phần mềm" for the scoring of a learning citizen) the
        narrower one goes first, without one the broader one does; the one moved up takes the
        other's rank (just above it) and the higher of the two confidences.
        """
        entries = {int(entry[2]): entry for entry in scored if not entry[3]}
        for child, broader, marks in self._families:
            narrow, broad = entries.get(child), entries.get(broader)
            if narrow is None or broad is None:
                continue
            first, second = (narrow, broad) if marks.found(folded) else (broad, narrow)
            if second[0] >= first[0]:
                first[0] = second[0] + 1e-6
                first[1] = max(first[1], second[1])

    def _coverage(self, grammar: dict[str, _Grammar], doc: int) -> float:
        """IDF-weighted share of the question's words (and word pairs) that the topic knows.

        A term in the topic's phrasings counts fully, one only in its answer counts in part, and
        a term no topic knows weighs more than any known one: an unexplained content word is the
        best sign that a question is about something else. Weak words ("có", "rồi") count little,
        and not at all when unknown, nor do unknown pairs with a weak word ("rồi muốn"): a long,
        chatty question is not a question about something else. Years count little.
        """
        t = self.tuning
        unknown = t.unknown_weight * self._max_idf
        shares: list[float | None] = []
        for pairs in (False, True):
            total = known = 0.0
            for term, level in grammar.items():
                if ("_" in term) != pairs:
                    continue
                idf = self._either.idf.get(term)
                if idf is None:
                    if level is _Grammar.NONE or level is _Grammar.PART:
                        total += unknown
                        if doc in self._more.postings.get(term, {}):
                            known += t.more_credit * unknown
                    continue
                if level is not _Grammar.NONE:
                    idf *= t.weak_pair_weight if pairs else t.weak_weight
                if any(_YEAR.match(p) for p in term.split("_")):
                    idf *= t.year_weight
                total += idf
                if doc in self._folded.postings.get(term, {}):
                    known += idf
                elif doc in self._answers.postings.get(term, {}):
                    known += t.answer_credit * idf
                elif doc in self._more.postings.get(term, {}):
                    known += t.more_credit * idf
            shares.append(known / total if total else None)
        words, bigrams = shares
        if bigrams is None:
            return words or 0.0
        return (1 - t.bigram_coverage) * (words or 0.0) + t.bigram_coverage * bigrams

    def explain(self, text: str) -> str:
        """The analysed words and the candidates, for people tuning the knowledge base."""
        folded, weak, norms, accented = self._prepare(text)
        result = self.match(text)
        shown = " ".join(f"({w})" if is_weak else w for w, is_weak in zip(folded, weak, strict=True))
        lines = [f"words: {shown}" + (f"  (accented: {' '.join(norms)})" if accented else "")]
        if self._foreign(folded, self._named(folded)):
            lines.append("  another office's subject ([outside]): confidence lowered")
        lines += [f"  {c.topic:<22} {c.score:.3f}" for c in result.candidates]
        return "\n".join(lines)
