"""The Q&A service: the current knowledge base and matcher, answers rendered with their source.

Built once at start (``FaqService.load``) and reloadable while the bot runs: a reload builds a
complete new snapshot first and swaps it in only when every file is valid, so a mistake in an
edited file never leaves the bot without answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.i18n import _
from bot.text import esc, strip_html
from handlers.faq.analyze import ABBREVIATIONS_FILE, Lexicon
from handlers.faq.knowledge import (
    FILENAME,
    LANGUAGES,
    LOCALES_DIR,
    Knowledge,
    KnowledgeError,
    Topic,
    load_all,
)
from handlers.faq.matcher import THRESHOLD, Match, Matcher

MAX_MESSAGE = 2000  # Zalo's limit; Telegram allows 4,096


@dataclass(frozen=True, slots=True)
class Snapshot:
    bases: dict[str, Knowledge]
    matcher: Matcher


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


def _build(locales_dir: Path, abbreviations: Path, threshold: float) -> Snapshot:
    """A snapshot of the files as they are now (re-read whenever one of them changed)."""
    files = [locales_dir / lang / FILENAME for lang in LANGUAGES] + [abbreviations]
    return _build_cached(locales_dir, abbreviations, threshold, tuple(_stamp(f) for f in files))


@lru_cache(maxsize=4)
def _build_cached(
    locales_dir: Path, abbreviations: Path, threshold: float, stamps: tuple[tuple[int, int], ...]
) -> Snapshot:
    # Snapshots are immutable, so apps built in one process (tests, the CLI) can share one.
    bases = load_all(locales_dir)
    lexicon = Lexicon.load(abbreviations)
    for base in bases.values():
        for topic in base.topics:
            # Title, answer and the longest plausible source line must fit one Zalo message.
            size = len(topic.title) + len(topic.answer) + len(source_text(topic)) + 40
            if size > MAX_MESSAGE:
                raise KnowledgeError(
                    f"{base.path}: topic {topic.id}: answer with title and sources is about {size}"
                    f" characters; one chat message holds {MAX_MESSAGE}"
                )
            # The details ("Xem thêm") are one message too: the title above them.
            size = len(more_text(topic))
            if topic.more and size > MAX_MESSAGE:
                raise KnowledgeError(
                    f"{base.path}: topic {topic.id}: “more” with the title is about {size}"
                    f" characters; one chat message holds {MAX_MESSAGE}"
                )
    return Snapshot(bases, Matcher(bases.values(), lexicon, threshold=threshold))


def more_text(topic: Topic) -> str:
    """The details shown on "Xem thêm": the title, then ``more`` (Telegram HTML)."""
    return f"<b>{topic.title}</b>\n\n{topic.more}"


def source_text(topic: Topic) -> str:
    return "; ".join(source.line() for source in topic.sources)


class FaqService:
    def __init__(self, snapshot: Snapshot, locales_dir: Path, abbreviations: Path, threshold: float) -> None:
        self._snapshot = snapshot
        self.locales_dir = locales_dir
        self.abbreviations = abbreviations
        self.threshold = threshold

    @classmethod
    def load(
        cls,
        locales_dir: Path = LOCALES_DIR,
        abbreviations: Path = ABBREVIATIONS_FILE,
        threshold: float = THRESHOLD,
    ) -> FaqService:
        """Load and check every file; raises KnowledgeError or AbbreviationsError."""
        return cls(_build(locales_dir, abbreviations, threshold), locales_dir, abbreviations, threshold)

    def reload(self) -> dict[str, int]:
        """Load the files again; on any error raise and keep serving the previous version."""
        snapshot = _build(self.locales_dir, self.abbreviations, self.threshold)
        self._snapshot = snapshot
        return {lang: len(base.topics) for lang, base in snapshot.bases.items()}

    @property
    def matcher(self) -> Matcher:
        return self._snapshot.matcher

    def match(self, text: str) -> Match:
        return self._snapshot.matcher.match(text[:500])

    def topic(self, topic_id: str, language: str) -> Topic | None:
        bases = self._snapshot.bases
        base = bases.get(language) or bases["vi"]
        return base.get(topic_id)

    def topics(self, language: str) -> tuple[Topic, ...]:
        bases = self._snapshot.bases
        return (bases.get(language) or bases["vi"]).topics

    def render(self, topic: Topic) -> str:
        """Title, answer and source line, in the current language (Telegram HTML)."""
        sources = esc(source_text(topic))
        return f"<b>{topic.title}</b>\n\n{topic.answer}\n\n" + _("📄 Source: {sources}").format(
            sources=sources
        )

    def plain_answer(self, topic: Topic) -> str:
        """The answer and its source as plain text (command line)."""
        return strip_html(self.render(topic))

    def render_more(self, topic: Topic) -> str:
        """The details shown on "Xem thêm" (Telegram HTML)."""
        return more_text(topic)

    def plain_more(self, topic: Topic) -> str | None:
        """The details as plain text (command line), or None when the topic has none."""
        return strip_html(more_text(topic)) if topic.more else None
