"""Processes and a database: one process per SQLite file (issue 17 item 5), and several processes on
one PostgreSQL database handling one person's updates one at a time, in order (issue 13)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import httpx

from bot.bootstrap import open_runtime
from bot.config import Settings
from bot.demo import seed_demo
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import bot_environment
from tests.test_inbox_channels import text_update
from tests.test_inbox_crash import start_bot, until
from tests.test_webhook import TELEGRAM_SECRET, free_port

pytest_plugins = ("tests.fakes.fixtures", "tests.postgres")


async def stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(30):
        _out, err = await process.communicate()
    return err.decode()


# -- one process per SQLite file ----------------------------------------------------------------
async def test_a_second_process_on_one_sqlite_file_is_refused(
    tmp_path: Path, telegram_api: FakeTelegram
) -> None:
    database = tmp_path / "bot.db"
    env = {"TELEGRAM_BOT_TOKEN": telegram_api.token, "TELEGRAM_BASE_URL": telegram_api.base_url}
    first = await start_bot(database, tmp_path, **env)
    try:
        await telegram_api.wait_for_poll(within=60)
        before = telegram_api.mark()
        second = await start_bot(database, tmp_path, **env)
        async with asyncio.timeout(60):
            _out, err = await second.communicate()
        message = err.decode().strip()
        assert second.returncode == 1
        assert len(message.splitlines()) == 1, message
        assert f"{database} is in use by another bot process (pid {first.pid})" in message
        assert f"{database}.lock" in message and "PostgreSQL" in message
        # Refused before it said a word to Telegram.
        assert not any(c.method != "getUpdates" for c in telegram_api.calls[before:])
        # Killed, the first process leaves no stale lock: the next one starts.
        first.send_signal(signal.SIGKILL)
        await first.wait()
        third = await start_bot(database, tmp_path, **env)
        await telegram_api.wait_for("getMe", after=before, within=60)
        await telegram_api.wait_for_poll(after=telegram_api.mark(), within=60)
        assert "start-up error" not in await stop(third)
        assert third.returncode == 0
    finally:
        if first.returncode is None:
            await stop(first)


# -- several processes on one PostgreSQL database -------------------------------------------------
ONBOARDING = ["/start", "1", "1", "1", "1"]  # consent, ward, village, confirm
DECLARATION = [
    "/khaibao",
    "Trần Thị Bình",  # the head of the household
    "1",  # the area chosen at onboarding is right
    "1980",
    "khong",  # not studying now
    "co",  # can read and write
    "3",  # reading (a typed list is the whole answer)
    "co",  # another member
    "con",
    "2015",
    "tieu hoc",
    "khong",  # nobody else
    "1",  # a bookshelf
    "1",  # often at community events
    "bo qua",  # no note
    "gui",
]
MISUNDERSTOOD = "Xin lỗi, tôi chưa hiểu"


async def test_two_processes_on_postgres_keep_one_persons_form_in_order(
    tmp_path: Path, telegram_api: FakeTelegram, postgres_url: str
) -> None:
    """Two bot processes in webhook mode on one database; each person's updates go to one process
    and the next, alternating, as fast as they are acknowledged. Every form ends complete, each
    answer taken at its step: the person's updates were handled one at a time, in order."""
    async with open_runtime(Settings(postgres_url=postgres_url)) as app:  # migrated once, areas
        await seed_demo(app.services)
    ports = [free_port(), free_port()]
    processes = []
    for port in ports:
        env = bot_environment(
            tmp_path / "unused.db",
            DATABASE_URL=postgres_url,
            TELEGRAM_BOT_TOKEN=telegram_api.token,
            TELEGRAM_BASE_URL=telegram_api.base_url,
            TELEGRAM_RATE="1000",
            TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/hooks/telegram",
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            WEBHOOK_PORT=str(port),
        )
        processes.append(
            await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bot", "run"),
                cwd=tmp_path,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    people = [7001, 7002, 7003]
    script = ONBOARDING + DECLARATION
    try:
        async with httpx.AsyncClient() as client:

            async def ready(port: int) -> bool:
                try:
                    health = await client.get(f"http://127.0.0.1:{port}/healthz")
                except httpx.TransportError:
                    return False
                return health.status_code == 200

            for port in ports:
                await until(lambda port=port: ready(port), 60, "a process serving")

            async def person(user_id: int) -> None:
                for step, text in enumerate(script):
                    port = ports[step % 2]
                    update = text_update(user_id * 100 + step, user_id, text)
                    response = await client.post(
                        f"http://127.0.0.1:{port}/hooks/telegram",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
                    )
                    assert response.status_code == 200  # stored; handled whenever its turn comes

            await asyncio.gather(*(person(user_id) for user_id in people))

        async with open_runtime(Settings(postgres_url=postgres_url)) as app:
            store = app.services.store.read

            async def all_handled() -> bool:
                rows = await store.inbox.rows("telegram")
                return len(rows) == len(people) * len(script) and all(r.handled_at for r in rows)

            await until(all_handled, 90, "every update handled")
            declarations: dict[int, Any] = {}
            for user_id in people:
                user = await store.users.by_key(f"telegram:{user_id}")
                assert user is not None and user.area_id == "lien_bao.tdp1"
                declarations[user_id] = (await store.declarations.all_for_user(user.id) or [None])[0]
    finally:
        logs = [await stop(process) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], logs
    for user_id in people:
        texts = telegram_api.texts(user_id)
        assert not any(MISUNDERSTOOD in t for t in texts), texts
        declaration = declarations[user_id]
        assert declaration is not None and declaration.status == "submitted", texts
        assert declaration.head_name == "Trần Thị Bình"
        members = declaration.data["m"]
        assert [m["y"] for m in members] == [1980, 2015], members
