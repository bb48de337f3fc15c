"""Logging without secrets and, unless asked for, without personal data (issue 17 item 7).

- ``Redact`` is a filter on every handler: the bot tokens (Telegram's and Zalo's, whose Bot API
  URLs contain them: python-telegram-bot's ``httpx`` logger logs those URLs, a failed request's
  exception repeats them), the webhook secrets and a database password never reach a log line,
  whatever logger wrote it, in the message, its arguments or a traceback.
- Levels: the default says what the bot does; ``--verbose`` adds the bot's own detail, which names
  no one and quotes nothing anybody wrote, while the libraries that log whole requests and updates
  (names, message texts) stay quiet; ``--debug-personal-data`` is the one level that logs those,
  says so at start, and also shows the messages of exceptions that may quote what people typed.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

REDACTED = "[secret]"
# Loggers of libraries that, at DEBUG, write requests and updates whole: names, chat ids, texts.
PAYLOAD_LOGGERS = ("telegram", "httpx", "httpcore", "hpack", "tornado", "aiosqlite", "psycopg")
# Exceptions whose message may quote what a person typed (int("…"), a bad key, a bad value).
QUOTING_ERRORS = (ValueError, TypeError, KeyError, IndexError, LookupError)
# Where messages about a person's words are logged, at DEBUG: off unless --debug-personal-data.
PERSONAL = "bot.personal"


def secrets_of(values: Iterable[str | None]) -> list[str]:
    """The strings to hide: each secret, its part after a colon (a Telegram token's secret half),
    a password inside a URL, and their URL-quoted forms; longest first, short ones ignored."""
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        parts = [value]
        if "://" in value:
            password = urlsplit(value).password
            parts = [password] if password else []
        elif ":" in value:
            parts.append(value.split(":", 1)[1])
        for part in parts:
            if len(part) >= 6:
                found.update({part, quote(part, safe="")})
    return sorted(found, key=len, reverse=True)


class Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str], *, show_personal: bool = False) -> None:
        super().__init__()
        self.secrets = list(secrets)
        self.show_personal = show_personal

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = self._exception_text(record.exc_info[1])
        elif record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True

    def _exception_text(self, exc: BaseException) -> str:
        if self.show_personal or not isinstance(exc, QUOTING_ERRORS):
            text = "".join(traceback.format_exception(exc)).rstrip("\n")
        else:
            where = "".join(traceback.format_tb(exc.__traceback__))
            text = (
                f"Traceback (most recent call last):\n{where}{type(exc).__qualname__}: "
                "(message hidden: it may quote what a person typed; --debug-personal-data shows it)"
            )
        return self._clean(text)


def configure(level: int, secrets: Iterable[str | None], *, personal: bool = False) -> Redact:
    """Set up logging for the CLI: the level, quiet libraries (unless ``personal``), and the filter
    on every handler of the root logger."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    redact = Redact(secrets_of(secrets), show_personal=personal)
    for handler in root.handlers:
        handler.addFilter(redact)
    library_level = logging.DEBUG if personal else max(level, logging.WARNING)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(library_level)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if personal else logging.WARNING)
    logging.getLogger(PERSONAL).setLevel(logging.DEBUG if personal else logging.WARNING)
    if personal:
        logging.getLogger("bot").warning(
            "--debug-personal-data: this log will hold personal data (names, chat ids, message texts, "
            "requests to the platforms); use it only to debug, and delete the log afterwards"
        )
    return redact
