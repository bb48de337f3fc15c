"""Typed configuration from environment variables, with an optional ``.env`` file."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.i18n import LANGUAGES
from bot.model import CHANNELS

# Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in a webhook's secret token.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
RESERVED_PATHS = ("/healthz", "/files/")  # served by bot.channels.webhook
DEFAULT_WEBHOOK_PORT = 8080


class ConfigError(Exception):
    """A missing or malformed setting; its message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None = field(default=None, repr=False)  # secrets: never in a repr or a log
    telegram_base_url: str = "https://api.telegram.org/bot"
    # Webhook mode instead of polling when set: the public HTTPS URL Telegram posts updates to.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_rate: float = 25.0  # messages per second overall (Telegram allows about 30)
    zalo_token: str | None = field(default=None, repr=False)
    zalo_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = field(default=None, repr=False)
    zalo_rate: float = 10.0  # messages per second overall; Zalo publishes no figure
    zalo_retry_after: float = 30.0  # seconds to wait after a Zalo 429, which says no figure either
    zalo_poll_timeout: int = 30  # seconds a getUpdates long poll may wait
    # The inbox (bot.inbox): how long handled rows (ids only) are kept to recognise an update
    # delivered again (Telegram keeps undelivered updates about a day), and how many unhandled
    # updates polling lets wait before it pauses fetching (the platform keeps the rest).
    inbox_keep_hours: float = 48.0
    inbox_max_backlog: int = 1000
    # The one HTTP server for webhooks, /healthz and files shown on Zalo (behind a reverse proxy).
    webhook_listen: str = "127.0.0.1"
    webhook_port: int | None = None  # None: no server unless a webhook or PUBLIC_BASE_URL needs one
    public_base_url: str | None = None  # e.g. https://bot.example.org, where the server is reachable
    database_path: Path = Path("data/khuyenhoc.db")  # SQLite, unless postgres_url is set
    # DATABASE_URL=postgresql://…: PostgreSQL instead of SQLite (may hold a password: not in repr).
    postgres_url: str | None = field(default=None, repr=False)
    admin_ids: frozenset[str] = field(default_factory=frozenset)
    default_language: str = "vi"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    criteria_path: Path | None = None  # the association's own "Gia đình học tập" criteria file
    faq_answer_hours: int = 48  # after this, a question handed to an officer is listed as overdue
    # Several processes on one database: how often the leader checks its lease and the others try
    # to take it (so the most a dead leader's work waits before another process takes over).
    leader_check_seconds: float = 2.0

    def secrets(self) -> tuple[str | None, ...]:
        """What must never appear in a log (``bot.logs`` hides each wherever it shows up)."""
        return (
            self.telegram_token,
            self.zalo_token,
            self.telegram_webhook_secret,
            self.zalo_webhook_secret,
            self.postgres_url,
        )

    @property
    def database_label(self) -> str:
        """Where the data is, for messages: the SQLite file, or the PostgreSQL database without its
        password."""
        if not self.postgres_url:
            return str(self.database_path)
        return database_label(self.postgres_url)

    @property
    def database_url(self) -> str:
        """The database the bot opens: postgresql://… or sqlite:///path."""
        return self.postgres_url or f"sqlite:///{self.database_path}"

    @property
    def server_port(self) -> int | None:
        """The port of the HTTP server, or None when nothing needs one."""
        if self.webhook_port is not None:
            return self.webhook_port
        if self.telegram_webhook_url or self.zalo_webhook_url or self.public_base_url:
            return DEFAULT_WEBHOOK_PORT
        return None

    @property
    def public_files_dir(self) -> Path:
        """Where photos published for Zalo are kept (beside the database)."""
        return self.database_path.parent / "public_files"


def database_label(url: str) -> str:
    """A PostgreSQL URL without its user and password, for messages and logs."""
    parts = urlparse(url)
    return f"postgresql://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def _database(url: str) -> tuple[Path, str | None]:
    """(SQLite file, PostgreSQL URL) from DATABASE_URL; the file also places public_files_dir."""
    if url.startswith("postgresql://"):
        parsed = urlparse(url)
        if not parsed.path.strip("/"):
            # Not echoed: the URL may hold a password.
            raise ConfigError(
                "DATABASE_URL names no database, e.g. postgresql://bot@127.0.0.1:5432/khuyenhoc"
            )
        return Settings.database_path, url
    if urlparse(url).scheme != "sqlite" or not url.startswith("sqlite:///"):
        shown = f"{urlparse(url).scheme}://…" if "@" in url else repr(url)  # no password in logs
        raise ConfigError(
            "DATABASE_URL must look like sqlite:///data/khuyenhoc.db or "
            f"postgresql://user@host:5432/dbname (got {shown})"
        )
    path = url[len("sqlite:///") :]
    if not path:
        raise ConfigError("DATABASE_URL names no file, e.g. sqlite:///data/khuyenhoc.db")
    return Path(path), None


def _admin_ids(raw: str) -> frozenset[str]:
    ids: set[str] = set()
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        channel, _, user_id = part.partition(":")
        if channel not in CHANNELS or not user_id or " " in user_id:
            raise ConfigError(
                f"ADMIN_IDS entry {part!r} must be channel:user_id, e.g. telegram:12345 "
                f"(channels: {', '.join(CHANNELS)})"
            )
        ids.add(f"{channel}:{user_id}")
    return frozenset(ids)


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Read settings; the process environment wins over ``.env``."""
    values: dict[str, str] = {}
    env_path = env_file if env_file is not None else Path(".env")
    if env_path.exists():
        values.update({k: v for k, v in dotenv_values(env_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name)
        return value.strip() if value and value.strip() else None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and (":" not in token or " " in token):
        raise ConfigError("TELEGRAM_BOT_TOKEN is malformed: expected the form 123456:ABC… from BotFather")

    base_url = get("TELEGRAM_BASE_URL") or Settings.telegram_base_url
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_BASE_URL must start with http:// or https:// (got {base_url!r})")

    language = get("DEFAULT_LANGUAGE") or "vi"
    if language not in LANGUAGES:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)} (got {language!r})")

    tz_name = get("TIMEZONE") or "Asia/Ho_Chi_Minh"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {tz_name!r} is not a known time zone, e.g. Asia/Ho_Chi_Minh") from None

    zalo_token = get("ZALO_BOT_TOKEN")
    if zalo_token is not None and (len(zalo_token) < 8 or any(c.isspace() or c in "/?#" for c in zalo_token)):
        raise ConfigError("ZALO_BOT_TOKEN is malformed: copy the Bot Token from Zalo Bot Manager as it is")
    zalo_base_url = get("ZALO_BASE_URL") or Settings.zalo_base_url
    if not zalo_base_url.startswith(("http://", "https://")):
        raise ConfigError(f"ZALO_BASE_URL must start with http:// or https:// (got {zalo_base_url!r})")

    telegram_webhook = _webhook_url("TELEGRAM_WEBHOOK_URL", get("TELEGRAM_WEBHOOK_URL"))
    telegram_secret = get("TELEGRAM_WEBHOOK_SECRET")
    if telegram_webhook is not None:
        if token is None:
            raise ConfigError("TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not")
        if telegram_secret is None or not _TELEGRAM_SECRET.fullmatch(telegram_secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET must be set with TELEGRAM_WEBHOOK_URL: 1-256 characters "
                "A-Z, a-z, 0-9, _ or -"
            )
    zalo_webhook = _webhook_url("ZALO_WEBHOOK_URL", get("ZALO_WEBHOOK_URL"))
    zalo_secret = get("ZALO_WEBHOOK_SECRET")
    if zalo_webhook is not None:
        if zalo_token is None:
            raise ConfigError("ZALO_WEBHOOK_URL is set but ZALO_BOT_TOKEN is not")
        if zalo_secret is None or not 8 <= len(zalo_secret) <= 256 or any(c.isspace() for c in zalo_secret):
            raise ConfigError(
                "ZALO_WEBHOOK_SECRET must be set with ZALO_WEBHOOK_URL: 8-256 characters, no spaces"
            )
    if telegram_webhook and zalo_webhook and urlparse(telegram_webhook).path == urlparse(zalo_webhook).path:
        raise ConfigError("TELEGRAM_WEBHOOK_URL and ZALO_WEBHOOK_URL must have different paths")

    public_base_url = get("PUBLIC_BASE_URL")
    if public_base_url is not None:
        parsed = urlparse(public_base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query:
            raise ConfigError(
                f"PUBLIC_BASE_URL must look like https://bot.example.org (got {public_base_url!r})"
            )
        public_base_url = public_base_url.rstrip("/")

    listen = get("WEBHOOK_LISTEN") or Settings.webhook_listen
    if any(c.isspace() or c in "/?#@" for c in listen):
        raise ConfigError(f"WEBHOOK_LISTEN must be an address such as 127.0.0.1 or 0.0.0.0 (got {listen!r})")
    port = _number("WEBHOOK_PORT", get("WEBHOOK_PORT"), int, 1, 65535)
    database_path, postgres_url = _database(get("DATABASE_URL") or "sqlite:///data/khuyenhoc.db")

    return Settings(
        telegram_token=token,
        telegram_base_url=base_url,
        telegram_webhook_url=telegram_webhook,
        telegram_webhook_secret=telegram_secret if telegram_webhook else None,
        telegram_rate=_number("TELEGRAM_RATE", get("TELEGRAM_RATE"), float, 0.1, 1000)
        or Settings.telegram_rate,
        zalo_token=zalo_token,
        zalo_base_url=zalo_base_url,
        zalo_webhook_url=zalo_webhook,
        zalo_webhook_secret=zalo_secret if zalo_webhook else None,
        zalo_rate=_number("ZALO_RATE", get("ZALO_RATE"), float, 0.1, 1000) or Settings.zalo_rate,
        zalo_retry_after=_number("ZALO_RETRY_AFTER", get("ZALO_RETRY_AFTER"), float, 1, 3600)
        or Settings.zalo_retry_after,
        inbox_keep_hours=_number("INBOX_KEEP_HOURS", get("INBOX_KEEP_HOURS"), float, 1, 24 * 30)
        or Settings.inbox_keep_hours,
        inbox_max_backlog=int(
            _number("INBOX_MAX_BACKLOG", get("INBOX_MAX_BACKLOG"), int, 100, 1_000_000)
            or Settings.inbox_max_backlog
        ),
        webhook_listen=listen,
        webhook_port=int(port) if port is not None else None,
        public_base_url=public_base_url,
        database_path=database_path,
        postgres_url=postgres_url,
        admin_ids=_admin_ids(get("ADMIN_IDS") or ""),
        default_language=language,
        timezone=timezone,
        criteria_path=_existing_file("CRITERIA_FILE", get("CRITERIA_FILE")),
        faq_answer_hours=int(_number("FAQ_ANSWER_HOURS", get("FAQ_ANSWER_HOURS"), int, 1, 24 * 30) or 48),
        leader_check_seconds=_number("LEADER_CHECK_SECONDS", get("LEADER_CHECK_SECONDS"), float, 0.1, 60)
        or Settings.leader_check_seconds,
    )


def _existing_file(name: str, value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"{name} names no file: {value}")
    return path


def _webhook_url(name: str, url: str | None) -> str | None:
    """A public webhook URL: HTTPS, except on this machine (tests, a local reverse proxy)."""
    if url is None:
        return None
    parsed = urlparse(url)
    local = parsed.hostname in _LOCAL_HOSTS
    if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
        raise ConfigError(f"{name} must be an https:// URL (got {url!r})")
    if not parsed.hostname or parsed.query or parsed.fragment:
        raise ConfigError(f"{name} must look like https://bot.example.org/telegram (got {url!r})")
    path = parsed.path or "/"
    if path == "/" or any(path.startswith(reserved) for reserved in RESERVED_PATHS):
        raise ConfigError(f"{name} needs a path of its own, e.g. https://bot.example.org/zalo (got {url!r})")
    return url


def _number(
    name: str, raw: str | None, kind: type[int] | type[float], low: float, high: float
) -> float | None:
    if raw is None:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number between {low:g} and {high:g} (got {raw!r})") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g} (got {raw!r})")
    return value
