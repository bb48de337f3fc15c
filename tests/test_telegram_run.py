"""`python -m bot run` as a real process, polling the fake Telegram Bot API; SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from bot.bootstrap import open_runtime
from bot.config import Settings
from bot.demo import seed_demo
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.helpers import bot_environment

pytest_plugins = ("tests.fakes.fixtures",)


def environment(api: FakeTelegram, database: Path) -> dict[str, str]:
    return bot_environment(database, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url)


async def test_run_polls_telegram_onboards_and_stops_on_sigterm(
    tmp_path: Path, telegram_api: FakeTelegram
) -> None:
    database = tmp_path / "bot.db"
    async with open_runtime(Settings(database_path=database)) as app:  # areas to choose from
        await seed_demo(app.services)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,  # no .env from the repository
        env=environment(telegram_api, database),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    mai = telegram_api.chat(telegram_api.new_user("Mai", "Đặng Thị"))
    try:
        # The first start of a fresh interpreter takes a while: only the first wait is long. The
        # bot is ready once its long poll arrives (its answer would come only at the poll's timeout).
        await telegram_api.wait_for_poll(within=60)
        consent = await mai.start(expect="Bạn có đồng ý không?")
        assert "Tôi đồng ý" in consent.labels
        await mai.tap("Tôi đồng ý", expect="Bạn ở phường/xã nào?")
        await mai.tap("Phường Hội Hợp", expect="bạn ở thôn/tổ dân phố nào?")
        await mai.send("1", expect="Đúng không?")
        await mai.tap("Đúng rồi", expect="Xong rồi!")
        await telegram_api.wait_until(lambda: not telegram_api.unanswered_callbacks, what="answered buttons")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            stdout, stderr = await process.communicate()
    logs = stderr.decode() + stdout.decode()
    assert process.returncode == 0, logs
    assert "Traceback" not in logs and "ERROR" not in logs, logs
    assert TOKEN not in logs  # the token never reaches the logs
    # On the way out PTB confirms what it fetched, so a restart does not see it again.
    last = telegram_api.calls[-1]
    assert last.method == "getUpdates" and last.params.get("timeout") == 0
    menus = [c.params.get("language_code") for c in telegram_api.calls if c.method == "setMyCommands"]
    assert menus == [None, "en"]
    async with open_runtime(Settings(database_path=database)) as app:
        user = await app.services.store.read.users.by_key(f"telegram:{mai.user.id}")
    assert user is not None and user.area_id is not None and user.area_id.startswith("hoi_hop.")
    assert telegram_api.violations == []
