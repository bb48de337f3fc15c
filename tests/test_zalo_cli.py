"""`python -m bot run` (what `make run` starts) as a real process, serving Zalo from a fake API."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import open_runtime
from bot.config import Settings
from bot.demo import seed_demo
from tests.fakes.zalo_api import FakeZaloApi, wait_until
from tests.helpers import bot_environment

REPO = Path(__file__).resolve().parent.parent
USER = "7f3c0e2a91b54d68aa10"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    server = await FakeZaloApi().start()
    yield server
    await server.stop()


def environment(fake: FakeZaloApi, database: Path, **extra: str) -> dict[str, str]:
    return bot_environment(
        database, **({"ZALO_BOT_TOKEN": fake.token, "ZALO_BASE_URL": fake.base_url} | extra)
    )


async def test_run_onboards_a_zalo_user_answers_a_question_and_stops_cleanly(
    tmp_path: Path, fake: FakeZaloApi
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
        env=environment(fake, database),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_until(lambda: any(m == "getUpdates" for m, _ in fake.calls))
        steps = [
            ("/start", "Bạn có đồng ý không?"),
            ("1", "phường/xã nào"),
            ("2", "Phường Tích Sơn: bạn ở thôn/tổ dân phố nào?"),
            ("1", "Đúng không?"),
            ("dung", "Xong rồi!"),
            # A criteria question typed without diacritics: answered with its source.
            ("tieu chi gia dinh hoc tap", "📄 Nguồn: QĐ 448/QĐ-KHVN"),
        ]
        for text, expected in steps:
            seen = len(fake.texts_to(USER))
            await fake.user_sends(USER, text)
            await wait_until(lambda e=expected, s=seen: any(e in t for t in fake.texts_to(USER)[s:]))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert fake.token not in stderr.decode() + stdout.decode()  # the token never reaches the logs
    async with open_runtime(Settings(database_path=database)) as app:
        user = await app.services.store.read.users.by_key(f"zalo:{USER}")
    assert user is not None and user.channel == "zalo" and user.area_id is not None
    answer = next(t for t in fake.texts_to(USER) if "Nguồn: QĐ 448/QĐ-KHVN" in t)
    assert "Gia đình học tập: tiêu chí" in answer and "\n  1. Đăng ký danh hiệu" in answer  # numbered


async def test_run_names_a_refused_token_in_one_line(tmp_path: Path, fake: FakeZaloApi) -> None:
    env = environment(fake, tmp_path / "bot.db", ZALO_BOT_TOKEN="123:not-the-right-token")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(30):
        _, stderr = await process.communicate()
    assert process.returncode == 1
    last = stderr.decode().strip().splitlines()[-1]
    assert last.startswith("start-up error:") and "ZALO_BOT_TOKEN" in last


async def test_run_names_a_malformed_setting(tmp_path: Path, fake: FakeZaloApi) -> None:
    env = environment(fake, tmp_path / "bot.db", ZALO_WEBHOOK_URL="https://bot.example.org/zalo")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(30):
        _, stderr = await process.communicate()
    assert process.returncode == 2
    (line,) = stderr.decode().strip().splitlines()
    assert line.startswith("configuration error: ZALO_WEBHOOK_SECRET must be set with ZALO_WEBHOOK_URL")
