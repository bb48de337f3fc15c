"""Text normalisation for Vietnamese typed on phones: NFC, case, tone placement, accents."""

from __future__ import annotations

import html
import json
import re
import unicodedata

# Old-style tone placement ("hòa", "thủy": tone on the first vowel) and new style ("hoà",
# "thuỷ": tone on the second) must compare equal. Matching uses the old style as canonical.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_PAIRS = ("oa", "oe", "uy")


def _canonical_tone(word: str) -> str:
    """Put the tone of a word-final oa/oe/uy on its first vowel: hoà → hòa, thuỷ → thủy."""
    decomposed = unicodedata.normalize("NFD", word)
    letters: list[str] = []  # base letters, each with its combining marks
    for c in decomposed:
        if unicodedata.combining(c) and letters:
            letters[-1] += c
        else:
            letters.append(c)
    if len(letters) < 2:
        return word
    first, second = letters[-2], letters[-1]
    pair = (first[0] + second[0]).lower()
    before = letters[-3][0].lower() if len(letters) >= 3 else ""
    if pair not in _PAIRS or (pair == "uy" and before == "q"):  # "quý": 'u' is a consonant
        return word
    tone = [c for c in second[1:] if c in _TONES]
    if not tone or any(c in _TONES for c in first[1:]):
        return word
    letters[-2] = first + tone[0]
    letters[-1] = "".join(c for c in second if c not in _TONES)
    return unicodedata.normalize("NFC", "".join(letters))


_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """NFC, lower case, single spaces, new-style tone placement."""
    text = unicodedata.normalize("NFC", text).lower().strip()
    text = _WORD.sub(lambda m: _canonical_tone(m.group(0)), text)
    return re.sub(r"\s+", " ", text)


def fold(text: str) -> str:
    """Accent-free, lower-case form: "Gia đình Học tập" → "gia dinh hoc tap"."""
    text = unicodedata.normalize("NFD", normalize(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("đ", "d").replace("Đ", "d")


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def strip_html(text: str) -> str:
    """Plain text from our small HTML subset, for channels without markup."""
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"</?(b|i|u|s|code|pre|a)(\s[^>]*)?>", "", text)
    return html.unescape(text)


def esc(value: object) -> str:
    """Escape user-supplied content before it goes into an HTML-formatted message."""
    return html.escape(str(value), quote=False)


def normalize_nfc(text: str) -> str:
    """Platforms want NFC text (Vietnamese typed on some keyboards arrives decomposed)."""
    return unicodedata.normalize("NFC", text)


# -- input hygiene: what people and platforms send, made safe once --------------------------------
# Bidirectional overrides and isolates can make a name display as something else (spoofing).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEEP_CONTROLS = frozenset("\n\t")


def clean(text: str, *, limit: int | None = None, single_line: bool = False) -> str:
    """Text from a platform made safe to store, match and show: NFC; lone surrogates (which no
    database or platform accepts), control characters other than newline and tab, and bidi
    overrides removed; ``\\r\\n`` as ``\\n``; ``single_line`` turns newlines and tabs into spaces;
    cut to ``limit`` characters."""
    if text.isascii() and text.isprintable():  # the common case costs one scan
        return text[:limit] if limit is not None else text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for c in text:
        if c in _KEEP_CONTROLS:
            kept.append(" " if single_line else c)
        elif "\ud800" <= c <= "\udfff" or c in _BIDI_CONTROLS or unicodedata.category(c) == "Cc":
            continue
        else:
            kept.append(c)
    text = unicodedata.normalize("NFC", "".join(kept))
    return text[:limit] if limit is not None else text


def is_number(text: str) -> bool:
    """ASCII digits only: "²", "①" and other digits pass ``str.isdigit()`` but are no number."""
    return text.isascii() and text.isdigit()


def parse_int(text: str | None, lo: int, hi: int) -> int | None:
    """A whole number typed or sent in a payload, within ``lo``..``hi``, or None: ASCII digits
    only (an optional leading minus when ``lo`` is negative), no longer than ``hi`` needs, so
    superscripts, circled digits and 5,000-digit numbers are refused without an exception."""
    if text is None:
        return None
    text = text.strip()
    negative = text.startswith("-") and lo < 0
    digits = text[1:] if negative else text
    if not digits or not is_number(digits) or len(digits) > max(len(str(abs(lo))), len(str(abs(hi)))) + 2:
        return None
    value = -int(digits) if negative else int(digits)
    return value if lo <= value <= hi else None


def to_json(value: object) -> str:
    """JSON for storing what a platform sent: readable UTF-8, or ASCII escapes when it holds a lone
    surrogate (which UTF-8, and so no database, can store)."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True)
    return text


ID_MAX = 2**63 - 1  # the largest row id either database stores


def parse_id(text: str | None) -> int | None:
    """A row id typed ("/duyet 12", "#12") or carried by a button's payload, or None."""
    return parse_int((text or "").strip().lstrip("#"), 1, ID_MAX)
