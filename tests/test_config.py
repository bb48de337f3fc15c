"""Configuration: defaults, .env, and one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

NO_FILE = Path("/nonexistent/.env")


def test_defaults() -> None:
    settings = load_settings({}, NO_FILE)
    assert settings.telegram_token is None
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.database_path == Path("data/khuyenhoc.db")
    assert settings.default_language == "vi"
    assert str(settings.timezone) == "Asia/Ho_Chi_Minh"
    assert settings.admin_ids == frozenset()


def test_env_file_and_environment_override(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BOT_TOKEN=111:AAA\nADMIN_IDS=telegram:1, telegram:2\nDEFAULT_LANGUAGE=en\n")
    settings = load_settings({"DEFAULT_LANGUAGE": "vi"}, env)
    assert settings.telegram_token == "111:AAA"
    assert settings.admin_ids == frozenset({"telegram:1", "telegram:2"})
    assert settings.default_language == "vi"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "no-colon"),
        ("TELEGRAM_BASE_URL", "ftp://x"),
        ("DATABASE_URL", "postgres://db/x"),
        ("ADMIN_IDS", "12345"),
        ("ADMIN_IDS", "facebook:1"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("TIMEZONE", "Mars/Base"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({name: value}, NO_FILE)
    message = str(error.value)
    assert name in message and "\n" not in message


def test_cli_reports_config_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("TIMEZONE", "Nowhere/Land")
    monkeypatch.chdir("/")
    assert main(["admin", "areas", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "TIMEZONE" in err
