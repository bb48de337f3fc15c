"""Catalog helper for developers: one gettext catalog (domain) per package, kept in step with the code.

    .venv/bin/python tools/catalog.py missing          # msgids without a vi translation
    .venv/bin/python tools/catalog.py extract          # locales/<domain>.pot, one template per domain
    .venv/bin/python tools/catalog.py update           # every message into its domain's catalog
    .venv/bin/python tools/catalog.py update --check   # the same, writing nothing: exit 1 if out of step
    .venv/bin/python tools/catalog.py en               # refresh locales/en/LC_MESSAGES/*.po from vi

Messages are extracted from bot/ and handlers/ (keywords _ , N_ and ngettext; files as babel.cfg
maps them). Each package owns a domain, ``locales/<language>/LC_MESSAGES/<domain>.po``:

    handlers/<feature>/   ->  <feature>.po     (onboarding.po, faq.po, training.po, ...)
    bot/channels/         ->  channels.po      (what the channel adapters add)
    bot/ (the rest)       ->  messages.po      (the kernel)

A message used by more than one domain lives in messages.po, the kernel's catalog, as code the
features share lives in the kernel. ``bot.i18n`` chains every catalog of a language (messages.po
first, then the others by name), so where a message lives never changes which text is shown.

``update`` is deterministic and idempotent, and can be re-run at any time, e.g. after merging a
branch that added or translated messages in another catalog: it writes each message into the
catalog of the domain that uses it, with its translation from wherever it is, adds new messages
untranslated, keeps messages no longer in the code as obsolete entries (``#~``) of the catalog
they were in, and mirrors English. It prints what it moved, and any different translation of a
message that it dropped. When a message has several translations, a copy outside its own catalog
wins, else the first in the chain (the one the bot shows): after ``update`` a message lives only
in its own catalog, so a copy elsewhere comes from a branch that predates the move and changed it
there (git's merge drops the copies such a branch did not touch).

After a merge that conflicts in a catalog: keep the other branch's lines (their translations),
then run ``make update-catalogs``.
"""

from __future__ import annotations

import io
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
SOURCES = ("bot", "handlers")
KERNEL = "messages"  # the kernel's domain, first in bot.i18n's chain
MIRROR = "en"  # msgids are English: this language's catalogs mirror the others' msgids
STAMP = datetime(2026, 1, 1, tzinfo=UTC)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
WIDTH = 100

Key = tuple[str, str | None]  # (msgid, or the singular of a plural; msgctxt)


@dataclass(frozen=True, slots=True)
class Use:
    """A message as extracted from the code: its id (a tuple for plurals) and where it is used."""

    id: str | tuple[str, ...]
    context: str | None
    files: tuple[str, ...]
    domains: frozenset[str]

    @property
    def domain(self) -> str:
        """The catalog it belongs in: its only domain, or the kernel's when several share it."""
        return next(iter(self.domains)) if len(self.domains) == 1 else KERNEL


def domain_of(path: str) -> str:
    """The catalog domain of a source file (a path relative to the repository)."""
    parts = PurePosixPath(path).parts
    if parts[0] == "handlers" and len(parts) > 2:
        return parts[1]  # handlers/<feature>/...
    if parts[0] == "handlers" and parts[1] != "__init__.py":
        return PurePosixPath(parts[1]).stem  # a feature that is a single module
    if parts[:2] == ("bot", "channels"):
        return "channels"
    return KERNEL


def chain_order(domain: str) -> tuple[bool, str]:
    """The order in which bot.i18n.catalog_files chains the catalogs of a language."""
    return (domain != KERNEL, domain)


def _key(message_id: str | Iterable[str], context: str | None) -> Key:
    if isinstance(message_id, str):
        return (message_id, context)
    return (next(iter(message_id)), context)


def _strings(string: str | Iterable[str] | None) -> tuple[str, ...]:
    """A message's translation as a tuple: one string, or one per plural form."""
    if string is None:
        return ("",)
    return (string,) if isinstance(string, str) else tuple(string)


def uses() -> dict[Key, Use]:
    """Every message in the code, in a stable order."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    ids: dict[Key, str | tuple[str, ...]] = {}
    files: dict[Key, list[str]] = defaultdict(list)
    for folder in SOURCES:
        for filename, _lineno, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map=method_map, options_map=options_map, keywords=KEYWORDS
        ):
            path = f"{folder}/{filename}"
            key = _key(message, context)
            ids.setdefault(key, message)
            if path not in files[key]:
                files[key].append(path)
    return {
        key: Use(ids[key], key[1], tuple(where), frozenset(domain_of(p) for p in where))
        for key, where in files.items()
    }


def extracted() -> dict[str, str]:
    """msgid → first file it appears in."""
    return {key[0]: use.files[0] for key, use in uses().items()}


def catalog_paths(language: str) -> list[Path]:
    """A language's catalogs in bot.i18n's chain order."""
    folder = LOCALES / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: chain_order(p.stem))


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=path.stem)
    if b"POT-Creation-Date:" not in path.read_bytes().split(b"\n\n", 1)[0]:
        catalog.creation_date = STAMP  # not "now": a re-run must not change the file
    return catalog


def translated(language: str) -> dict[str, str]:
    """msgid → the translation the bot shows (the first in the chain; fuzzy ones are not shown)."""
    result: dict[str, str] = {}
    for po in catalog_paths(language):
        for message in _read(po, language):
            if message.id and message.string and not message.fuzzy:
                result.setdefault(_key(message.id, None)[0], _strings(message.string)[0])
    return result


def _is_translated(message: Message) -> bool:
    return any(_strings(message.string))


@dataclass(slots=True)
class Report:
    moved: dict[tuple[str, str], int]  # (from domain, to domain) → messages
    replaced: list[str]  # other translations of a message, dropped for the one kept
    obsolete: int
    new: int
    changed: list[Path]


def _po_key(key: Key) -> str | tuple[str, str]:
    """How babel keys a catalog's messages: the msgid, or (msgid, msgctxt) with a context."""
    return key[0] if key[1] is None else (key[0], key[1])


def merge(language: str, found: dict[Key, Use], write: bool) -> Report:
    """Put every message of ``language`` into the catalog of its domain (see the module docstring)."""
    catalogs = {po.stem: _read(po, language) for po in catalog_paths(language)}
    # Every copy of every message, in chain order, the catalogs' active entries before obsolete ones.
    candidates = [(d, m, True) for d, c in catalogs.items() for m in c if m.id]
    candidates += [(d, m, False) for d, c in catalogs.items() for m in c.obsolete.values()]
    copies: dict[Key, list[tuple[int, str, Message, bool]]] = defaultdict(list)
    for position, (domain, message, active) in enumerate(candidates):
        copies[_key(message.id, message.context)].append((position, domain, message, active))
    report = Report(defaultdict(int), [], 0, 0, [])
    wanted: dict[str, list[Message]] = defaultdict(list)
    for key, use in found.items():
        string: str | tuple[str, ...] = ("",) * len(use.id) if isinstance(use.id, tuple) else ""
        flags: Iterable[str] = ()
        user_comments: Iterable[str] = ()
        if not copies.get(key):
            report.new += 1
        else:
            # A translated copy, not fuzzy, not obsolete; one outside the message's own catalog first
            # (after a merge, a branch that predates the move edited it there); else the first in the
            # chain, the one the bot shows.
            ranked = sorted(
                copies[key],
                key=lambda c: (not _is_translated(c[2]), c[2].fuzzy, not c[3], c[1] == use.domain, c[0]),
            )
            _position, home, chosen, _active = ranked[0]
            strings = _strings(chosen.string)
            string = strings if isinstance(use.id, tuple) else strings[0]
            flags, user_comments = chosen.flags, chosen.user_comments
            if home != use.domain:
                report.moved[(home, use.domain)] += 1
            for _p, domain, other, active in ranked[1:]:
                if active and _is_translated(other) and _strings(other.string) != strings:
                    report.replaced.append(f"{key[0]!r}: {domain}.po had {other.string!r}, kept {string!r}")
        wanted[use.domain].append(
            Message(use.id, string, flags=flags, user_comments=user_comments, context=use.context)
        )
    # Messages no longer in the code stay, obsolete, in the catalog they were in.
    leftover: dict[str, list[Message]] = defaultdict(list)
    for domain, message, _active in candidates:
        if _key(message.id, message.context) not in found:
            leftover[domain].append(message)
    for domain in sorted(set(catalogs) | set(wanted), key=chain_order):
        target = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
        catalog = catalogs.get(domain) or Catalog(
            locale=language,
            domain=domain,
            project="khuyenhoc-bot",
            version="VERSION",
            copyright_holder="ORGANIZATION",
            creation_date=STAMP,
            fuzzy=False,
        )
        for message in list(catalog):
            if message.id:
                catalog.delete(message.id, message.context)
        catalog.obsolete.clear()
        for message in wanted.get(domain, []):
            catalog[message.id] = message
        for message in leftover.get(domain, []):
            catalog.obsolete[_po_key(_key(message.id, message.context))] = message
            report.obsolete += 1
        if not wanted.get(domain) and not leftover.get(domain):
            if target.exists():
                report.changed.append(target)
                if write:
                    target.unlink()
            continue
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=WIDTH, no_location=True, sort_output=True)
        text = buffer.getvalue()
        if not target.exists() or target.read_bytes() != text:
            report.changed.append(target)
            if write:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(text)
    return report


def templates(found: dict[Key, Use]) -> None:
    """One template per domain, ``locales/<domain>.pot``, for translation tools."""
    by_domain: dict[str, list[Use]] = defaultdict(list)
    for use in found.values():
        by_domain[use.domain].append(use)
    for domain, members in sorted(by_domain.items()):
        template = Catalog(
            domain=domain,
            project="khuyenhoc-bot",
            version="VERSION",
            copyright_holder="ORGANIZATION",
            creation_date=STAMP,
            fuzzy=False,
        )
        for use in members:
            template.add(use.id, locations=[(path, 0) for path in use.files], context=use.context)
        with (LOCALES / f"{domain}.pot").open("wb") as fh:
            write_po(fh, template, width=WIDTH, sort_output=True, include_lineno=False)
        print(f"locales/{domain}.pot: {len(members)} messages")


def refresh_english(write: bool = True) -> list[Path]:
    """Mirror each Vietnamese catalog as an English one (msgids are English already)."""
    changed: list[Path] = []
    for po in catalog_paths("vi"):
        vi = _read(po, "vi")
        # Fixed dates: regenerating an unchanged catalog must not change the file.
        en = Catalog(
            locale=MIRROR,
            project="khuyenhoc-bot",
            domain=po.stem,
            fuzzy=False,
            creation_date=STAMP,
            revision_date=STAMP,
        )
        for message in vi:
            if message.id:
                en.add(message.id, string=message.id, context=message.context)
        target = LOCALES / MIRROR / "LC_MESSAGES" / po.name
        buffer = io.BytesIO()
        write_po(buffer, en, width=WIDTH, omit_header=False, sort_output=True)
        if not target.exists() or target.read_bytes() != buffer.getvalue():
            changed.append(target)
            if write:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(buffer.getvalue())
    return changed


def update(check: bool) -> int:
    found = uses()
    languages = sorted(
        p.parent.name for p in LOCALES.glob("*/LC_MESSAGES") if p.is_dir() and p.parent.name != MIRROR
    )
    changed: list[Path] = []
    for language in languages:
        report = merge(language, found, write=not check)
        for (source, target), count in sorted(report.moved.items()):
            print(f"{language}: {count} messages {source}.po -> {target}.po")
        for line in report.replaced:
            print(f"{language}: dropped another translation: {line}")
        print(f"{language}: {report.new} new (untranslated), {report.obsolete} obsolete kept as #~")
        changed += report.changed
    if check:
        # The English mirror follows the catalogs as they would be written; compare it only when
        # they are in step already.
        changed += [] if changed else refresh_english(write=False)
    else:
        changed += refresh_english()
    for path in changed:
        print(f"{'out of step' if check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if check and changed else 0


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if command == "en":
        refresh_english()
        return 0
    if command == "extract":
        templates(uses())
        return 0
    if command == "update":
        return update(check="--check" in sys.argv[2:])
    if command != "missing":
        print(__doc__, file=sys.stderr)
        return 2
    have = translated("vi")
    missing = {m: f for m, f in extracted().items() if m not in have}
    for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]):
        print(f"{where}: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
