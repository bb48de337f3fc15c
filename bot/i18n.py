"""Translations through gettext catalogs in ``locales/``, chosen per update by a ContextVar.

Message ids are English; Vietnamese is the default language people see. Formatting of dates,
times and numbers follows the person's language (vi_VN by default) in the configured time zone.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
BABEL_LOCALES = {"vi": "vi_VN", "en": "en_GB"}
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)
_timezone: ContextVar[ZoneInfo | None] = ContextVar("timezone", default=None)
_DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def pick_language(stored: str | None, platform_hint: str | None, default: str) -> str:
    """The person's choice first, then the platform's hint, then the configured default."""
    if stored in LANGUAGES:
        return stored
    if platform_hint:
        short = platform_hint.split("-")[0].split("_")[0].lower()
        if short in LANGUAGES:
            return short
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def _load_catalog(po_path: Path) -> gettext.GNUTranslations:
    """The compiled .mo beside a .po, or the .po compiled in memory when the .mo is missing or stale."""
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parent.parent.name)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def catalog_files(language: str) -> list[Path]:
    """Every catalog of a language: ``messages.po`` first, then one per feature (e.g. ``faq.po``)."""
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    files = sorted(folder.glob("*.po"), key=lambda p: (p.stem != DOMAIN, p.stem))
    return files


@cache
def translations(language: str) -> gettext.NullTranslations:
    """All catalogs of a language chained together (features own their catalog files)."""
    files = catalog_files(language)
    if not files:
        log.warning("no message catalog for %s in %s", language, LOCALES_DIR / language)
        return gettext.NullTranslations()
    chain = _load_catalog(files[0])
    for extra in files[1:]:
        chain.add_fallback(_load_catalog(extra))
    return chain


def current_language() -> str:
    return _language.get()


@contextmanager
def use(language: str, timezone: ZoneInfo | None = None) -> Iterator[None]:
    """Translate and format in ``language`` inside the block (task-local, never global)."""
    token = _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    tz_token = _timezone.set(timezone) if timezone else None
    try:
        yield
    finally:
        _language.reset(token)
        if tz_token is not None:
            _timezone.reset(tz_token)


def set_timezone(timezone: ZoneInfo) -> None:
    _timezone.set(timezone)


def _(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction; translate later with ``_()`` when the language is known."""
    return message


def babel_locale() -> str:
    return BABEL_LOCALES[_language.get()]


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(_timezone.get() or _DEFAULT_TZ)


def fmt_datetime(moment: datetime) -> str:
    """e.g. "08:30, thứ Bảy, 28/11/2026"."""
    local = local_time(moment)
    return babel_dates.format_datetime(local, "HH:mm, EEEE, dd/MM/yyyy", locale=babel_locale())


def fmt_date(day: date) -> str:
    return babel_dates.format_date(day, "dd/MM/yyyy", locale=babel_locale())


def fmt_number(value: float | int) -> str:
    return babel_numbers.format_decimal(value, locale=babel_locale())
