"""Text normalisation for Vietnamese typed on phones: NFC, case, tone placement, accents."""

from __future__ import annotations

import html
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
