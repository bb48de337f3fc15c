"""Typed configuration from environment variables, with an optional ``.env`` file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.i18n import LANGUAGES
from bot.model import CHANNELS


class ConfigError(Exception):
    """A missing or malformed setting; its message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    database_path: Path = Path("data/khuyenhoc.db")
    admin_ids: frozenset[str] = field(default_factory=frozenset)
    default_language: str = "vi"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database_path}"


def _database_path(url: str) -> Path:
    parsed = urlparse(url)
    if parsed.scheme != "sqlite" or not url.startswith("sqlite:///"):
        raise ConfigError(
            f"DATABASE_URL must look like sqlite:///data/khuyenhoc.db (got {url!r}); "
            "only SQLite is supported for now"
        )
    path = url[len("sqlite:///") :]
    if not path:
        raise ConfigError("DATABASE_URL names no file, e.g. sqlite:///data/khuyenhoc.db")
    return Path(path)


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

    return Settings(
        telegram_token=token,
        telegram_base_url=base_url,
        database_path=_database_path(get("DATABASE_URL") or "sqlite:///data/khuyenhoc.db"),
        admin_ids=_admin_ids(get("ADMIN_IDS") or ""),
        default_language=language,
        timezone=timezone,
    )
