"""Catalog helper for developers: list messages that no Vietnamese catalog translates yet.

    .venv/bin/python tools/catalog.py missing      # msgids without a vi translation
    .venv/bin/python tools/catalog.py en           # refresh locales/en/LC_MESSAGES/*.po from vi

Messages are extracted from bot/ and handlers/ (keywords _ , N_ and ngettext).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
STAMP = datetime(2026, 1, 1, tzinfo=UTC)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extracted() -> dict[str, str]:
    """msgid → first file it appears in."""
    found: dict[str, str] = {}
    for folder in ("bot", "handlers"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.setdefault(msgid, f"{folder}/{filename}")
    return found


def translated(language: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for po in sorted((ROOT / "locales" / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if message.id and message.string and not message.fuzzy:
                    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                    text = message.string if isinstance(message.string, str) else message.string[0]
                    result.setdefault(msgid, text)
    return result


def refresh_english() -> None:
    """Mirror each Vietnamese catalog as an English one (msgids are English already)."""
    for po in sorted((ROOT / "locales" / "vi" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            vi = read_po(fh, locale="vi")
        # Fixed dates: regenerating an unchanged catalog must not change the file.
        en = Catalog(
            locale="en",
            project="khuyenhoc-bot",
            domain=po.stem,
            fuzzy=False,
            creation_date=STAMP,
            revision_date=STAMP,
        )
        for message in vi:
            if message.id:
                en.add(message.id, string=message.id)
        target = ROOT / "locales" / "en" / "LC_MESSAGES" / po.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            write_po(fh, en, width=100, omit_header=False, sort_output=True)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if command == "en":
        refresh_english()
        return 0
    have = translated("vi")
    missing = {m: f for m, f in extracted().items() if m not in have}
    for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]):
        print(f"{where}: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
