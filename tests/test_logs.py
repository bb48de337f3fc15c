"""Logs without secrets (issue 17 item 7): no token in any log, whatever wrote it; names and texts
only with --debug-personal-data."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from bot.config import Settings

TOKEN = "123456789:AAH-secret_Token-value0123456789abcd"
ZALO = "zalo-bot-token-0987654321"
NAME = "Nguyễn Thị Bí Mật"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger as the CLI sets it up, writing to a string; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    levels = {name: logging.getLogger(name).level for name in (*logs.PAYLOAD_LOGGERS, logs.PERSONAL)}
    root.handlers = []
    stream = io.StringIO()
    yield stream
    root.handlers, root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _configure(stream: io.StringIO, level: int, personal: bool = False) -> None:
    """As ``python -m bot run`` does, with its one handler writing to ``stream``."""
    logging.getLogger().handlers = [logging.StreamHandler(stream)]
    settings = Settings(
        telegram_token=TOKEN, zalo_token=ZALO, postgres_url="postgresql://bot:pw-Secret9@h/db"
    )
    logs.configure(level, settings.secrets(), personal=personal)


def test_tokens_never_reach_the_log(captured: io.StringIO) -> None:
    _configure(captured, logging.DEBUG, personal=True)  # the most that is ever logged
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    logging.getLogger("httpx").info('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)
    logging.getLogger("telegram.ext.ExtBot").debug("Calling Bot API endpoint %s", url)
    logging.getLogger("bot.channels.zalo").warning(
        "zalo: failed: %s", f"https://bot-api/bot{ZALO}/sendMessage"
    )
    logging.getLogger("storage").error("cannot connect to postgresql://bot:pw-Secret9@h/db")
    try:
        raise ConnectionError(f"All connection attempts failed for {url}")
    except ConnectionError:
        logging.getLogger("bot.inbox").exception("telegram: getUpdates failed")
    try:
        raise ValueError(f"bad token {TOKEN.split(':')[1]}")
    except ValueError:
        logging.getLogger("bot").exception("half a token")
    text = captured.getvalue()
    assert "getUpdates" in text and "Traceback" in text and logs.REDACTED in text
    for secret in (TOKEN, TOKEN.split(":")[1], ZALO, "pw-Secret9"):
        assert secret not in text


def test_settings_do_not_show_their_secrets() -> None:
    shown = repr(Settings(telegram_token=TOKEN, zalo_token=ZALO, telegram_webhook_secret="hook-secret-1"))
    assert TOKEN not in shown and ZALO not in shown and "hook-secret-1" not in shown


def test_verbose_logs_no_personal_data(captured: io.StringIO) -> None:
    _configure(captured, logging.DEBUG)  # run --verbose
    logging.getLogger("bot.personal").debug("console:x (%s): %r", NAME, "lời nhắn riêng")
    logging.getLogger("telegram.ext.Application").debug("update: %s", NAME)
    logging.getLogger("httpcore.http11").debug("send_request_body: %s", NAME)
    logging.getLogger("bot.inbox").debug("pruned 3 handled inbox rows")
    try:
        int("²" + NAME)
    except ValueError:
        logging.getLogger("bot.router").exception("handler failed")
    text = captured.getvalue()
    assert "pruned 3" in text and "handler failed" in text and "ValueError" in text
    assert NAME not in text and "lời nhắn riêng" not in text
    assert "message hidden" in text


def test_debug_personal_data_says_so_and_logs_it(captured: io.StringIO) -> None:
    _configure(captured, logging.DEBUG, personal=True)
    logging.getLogger("bot.personal").debug("console:x (%s): %r", NAME, "lời nhắn riêng")
    text = captured.getvalue()
    assert "--debug-personal-data: this log will hold personal data" in text
    assert NAME in text and "lời nhắn riêng" in text
