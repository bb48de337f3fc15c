"""The knowledge base: topics loaded from ``locales/<lang>/knowledge.toml`` and checked at load time.

The files are data that the association edits, so every mistake is reported with the file and
the topic it is in, and a file with a mistake is refused as a whole (the bot keeps the last good
one when reloading).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent.parent.parent / "locales"
LANGUAGES = ("vi", "en")
FILENAME = "knowledge.toml"

# Every topic the issue asks for; a file without one of them is refused.
REQUIRED_IDS = (
    "title.cong_dan",
    "title.gia_dinh",
    "title.dong_ho",
    "title.cong_dong",
    "title.don_vi",
    "process.register",
    "process.recognition",
    "process.declare",
    "lang_van_hoa",
    "quy_khuyen_hoc",
    "hoi_khuyen_hoc",
    "training",
    "privacy",
    "bot.help",
    "xa_hoi_hoc_tap",
)
PAYLOAD_PREFIX = "faq:"
MORE_PREFIX = "faqm:"  # the "Xem thêm" choice under an answer that has a "more"
MAX_PAYLOAD_BYTES = 64
MAX_ANSWER = 900  # the first message: about 600 characters fit a phone screen, 900 at most
MAX_MORE = 1500  # the rest, shown on request ("Xem thêm"): room for a title within Zalo's 2,000
MAX_TITLE = 60  # a button label
MIN_QUESTIONS = 3
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code"})

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^<>]*>|<")
_ENTITY = re.compile(r"&(amp|lt|gt|quot);")
_TOPIC_KEYS = frozenset(
    {"id", "title", "answer", "more", "questions", "keywords", "related", "source", "within", "marks"}
)
_SOURCE_KEYS = frozenset({"document", "issuer", "date"})


class KnowledgeError(ValueError):
    """A knowledge file is malformed; the message names the file and the topic."""


@dataclass(frozen=True, slots=True)
class Source:
    document: str
    issuer: str = ""
    date: str = ""

    def line(self) -> str:
        """e.g. "QĐ 448/QĐ-KHVN, Hội Khuyến học Việt Nam, 01/12/2015"."""
        return ", ".join(part for part in (self.document, self.issuer, self.date) if part)


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    answer: str  # Telegram HTML subset
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    more: str = ""  # optional rest of the answer (Telegram HTML), shown on request
    # A narrower topic inside a broader one ("cdht_scoring" within "title.cong_dan"): the words
    # that make a question about it. Without one of them, the broader topic answers.
    within: str = ""
    marks: tuple[str, ...] = ()

    @property
    def payload(self) -> str:
        return PAYLOAD_PREFIX + self.id

    @property
    def more_payload(self) -> str:
        return MORE_PREFIX + self.id


@dataclass(frozen=True, slots=True)
class Knowledge:
    """The topics of one language, in file order."""

    language: str
    topics: tuple[Topic, ...]
    path: Path

    def get(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)


def check_html(text: str) -> str | None:
    """The problem with ``text`` as Telegram HTML (only simple tags, escaped &), or None."""
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), (match.group(2) or "").lower()
        if not name:
            return "a “<” that is not a tag: write &lt;"
        if name not in ALLOWED_TAGS:
            return f"tag <{name}> is not allowed (use {', '.join(sorted(ALLOWED_TAGS))})"
        if match.group(0) not in (f"<{name}>", f"</{name}>"):
            return f"write the tag as <{name}> with nothing else inside it"
        if closing:
            if not stack or stack.pop() != name:
                return f"</{name}> closes a tag that is not open"
        else:
            stack.append(name)
    if stack:
        return f"<{stack[-1]}> is never closed"
    for index in (m.start() for m in re.finditer("&", text)):
        if not _ENTITY.match(text, index):
            return "a bare “&”: write &amp;"
    return None


def _strings(value: Any, where: str, field: str, minimum: int = 0) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise KnowledgeError(f"{where}: “{field}” must be a list of non-empty texts")
    if len(value) < minimum:
        raise KnowledgeError(f"{where}: “{field}” needs at least {minimum} entries (has {len(value)})")
    return tuple(v.strip() for v in value)


def _source(raw: Any, where: str) -> Source:
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{where}: each [[topic.source]] must be a table")
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise KnowledgeError(f"{where}: unknown key(s) in source: {', '.join(sorted(unknown))}")
    document = raw.get("document")
    if not isinstance(document, str) or not document.strip():
        raise KnowledgeError(f"{where}: a source needs a “document” (number or name)")
    for key in ("issuer", "date"):
        if not isinstance(raw.get(key, ""), str):
            raise KnowledgeError(f"{where}: source “{key}” must be text")
    return Source(document.strip(), raw.get("issuer", "").strip(), raw.get("date", "").strip())


def _topic(raw: Any, index: int, path: Path) -> Topic:
    where = f"{path}: topic #{index + 1}"
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{where}: must be a table")
    topic_id = raw.get("id")
    if not isinstance(topic_id, str) or not _ID.match(topic_id):
        raise KnowledgeError(f"{where}: “id” must be lower-case ASCII like title.gia_dinh (got {topic_id!r})")
    where = f"{path}: topic {topic_id}"
    if len((MORE_PREFIX + topic_id).encode()) > MAX_PAYLOAD_BYTES:
        limit = MAX_PAYLOAD_BYTES - len(MORE_PREFIX)
        raise KnowledgeError(f"{where}: id too long for a button (at most {limit} bytes)")
    unknown = set(raw) - _TOPIC_KEYS
    if unknown:
        raise KnowledgeError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    title, answer = raw.get("title"), raw.get("answer")
    if not isinstance(title, str) or not title.strip():
        raise KnowledgeError(f"{where}: “title” is missing")
    if len(title.strip()) > MAX_TITLE:
        raise KnowledgeError(f"{where}: “title” is {len(title.strip())} characters (at most {MAX_TITLE})")
    if not isinstance(answer, str) or not answer.strip():
        raise KnowledgeError(f"{where}: “answer” is missing")
    answer = answer.strip()
    if len(answer) > MAX_ANSWER:
        raise KnowledgeError(f"{where}: “answer” is {len(answer)} characters (at most {MAX_ANSWER})")
    problem = check_html(answer) or check_html(title)
    if problem:
        raise KnowledgeError(f"{where}: {problem}")
    more = raw.get("more", "")
    if not isinstance(more, str) or ("more" in raw and not more.strip()):
        raise KnowledgeError(f"{where}: “more” must be a non-empty text when present")
    more = more.strip()
    if len(more) > MAX_MORE:
        raise KnowledgeError(f"{where}: “more” is {len(more)} characters (at most {MAX_MORE})")
    problem = check_html(more)
    if problem:
        raise KnowledgeError(f"{where}: “more”: {problem}")
    sources = raw.get("source")
    if not isinstance(sources, list) or not sources:
        raise KnowledgeError(f"{where}: needs at least one [[topic.source]]")
    within = raw.get("within", "")
    if not isinstance(within, str) or ("within" in raw and not _ID.match(within)):
        raise KnowledgeError(f"{where}: “within” must be the id of a broader topic")
    if bool(within) != ("marks" in raw):
        raise KnowledgeError(
            f"{where}: “within” and “marks” go together (the words that make a question about it)"
        )
    return Topic(
        id=topic_id,
        title=title.strip(),
        answer=answer,
        questions=_strings(raw.get("questions"), where, "questions", MIN_QUESTIONS),
        keywords=_strings(raw.get("keywords", []), where, "keywords", 1),
        related=_strings(raw.get("related", []), where, "related"),
        sources=tuple(_source(s, where) for s in sources),
        more=more,
        within=within,
        marks=_strings(raw.get("marks", []), where, "marks", 1 if within else 0),
    )


def load_knowledge(path: Path, language: str | None = None) -> Knowledge:
    """Read and check one knowledge file."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"language", "topic"}
    if unknown:
        raise KnowledgeError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    declared = data.get("language", language)
    if language is not None and declared != language:
        raise KnowledgeError(f"{path}: says language = {declared!r}, expected {language!r}")
    raw_topics = data.get("topic")
    if not isinstance(raw_topics, list) or not raw_topics:
        raise KnowledgeError(f"{path}: no [[topic]] entries")
    topics = tuple(_topic(raw, i, path) for i, raw in enumerate(raw_topics))
    seen: set[str] = set()
    for topic in topics:
        if topic.id in seen:
            raise KnowledgeError(f"{path}: topic id {topic.id} appears twice")
        seen.add(topic.id)
    missing = [i for i in REQUIRED_IDS if i not in seen]
    if missing:
        raise KnowledgeError(f"{path}: required topic(s) missing: {', '.join(missing)}")
    for topic in topics:
        for other in topic.related:
            if other not in seen:
                raise KnowledgeError(f"{path}: topic {topic.id}: related topic {other} does not exist")
            if other == topic.id:
                raise KnowledgeError(f"{path}: topic {topic.id}: lists itself as related")
        if topic.within and (topic.within not in seen or topic.within == topic.id):
            raise KnowledgeError(f"{path}: topic {topic.id}: “within” names no other topic ({topic.within})")
    return Knowledge(language=str(declared or ""), topics=topics, path=path)


def load_all(locales_dir: Path = LOCALES_DIR) -> dict[str, Knowledge]:
    """Every language's knowledge base; all must have the same topic ids as Vietnamese."""
    bases = {lang: load_knowledge(locales_dir / lang / FILENAME, lang) for lang in LANGUAGES}
    reference = set(bases["vi"].ids)
    for base in bases.values():
        ids = set(base.ids)
        if ids != reference:
            only_here, only_vi = sorted(ids - reference), sorted(reference - ids)
            raise KnowledgeError(
                f"{base.path}: topic ids differ from Vietnamese"
                + (f"; missing: {', '.join(only_vi)}" if only_vi else "")
                + (f"; extra: {', '.join(only_here)}" if only_here else "")
            )
    return bases
