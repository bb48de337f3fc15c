"""Real ``python -m bot run`` processes for the tests and benchmarks of several processes on one
database: started in webhook mode against the fake Bot API server, fed updates the way a reverse
proxy would (a POST to each process's own port), killed with ``kill -9``, and asked which of them
holds the leader lease (from PostgreSQL's own lock table)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from storage.locks import LEADER, lock_key
from tests.helpers import REPO, bot_environment

WEBHOOK_SECRET = "multi-process-secret"
WEBHOOK_PATH = "/telegram"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """One bot process; its log goes to a file (INFO lines of a busy bot would fill a pipe)."""

    def __init__(self, name: str, folder: Path, env: dict[str, str], port: int | None) -> None:
        self.name = name
        self.port = port
        self.log = folder / f"{name}.log"
        self._env = env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.log.parent,  # no .env from the repository
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    async def wait_healthy(self, within: float = 60) -> None:
        """Until its webhook server answers /healthz with 200 (the channels have started)."""
        import aiohttp

        assert self.port is not None
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.returncode is not None:
                    raise AssertionError(
                        f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
                    )
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} did not become healthy within {within} s:\n{self.output()}")

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    async def exited(self, within: float = 60) -> int:
        """Wait for the process to end by itself; its exit code."""
        assert self.process is not None
        async with asyncio.timeout(within):
            return await self.process.wait()

    async def stop(self, within: float = 30) -> int:
        """SIGTERM and wait; the exit code (-9 for a killed one). A process still running after
        ``within`` seconds is killed, and the test fails with the end of its log."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(within):
                return await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            tail = "\n".join(self.output().splitlines()[-30:])
            raise AssertionError(f"{self.name} did not stop within {within} s of SIGTERM:\n{tail}") from None


def webhook_environment(
    database_url: str, api_base_url: str, token: str, port: int, name: str, **settings: str
) -> dict[str, str]:
    """Webhook mode on its own port. Behind nginx every process would register the one public
    URL; here each registers its own, and the tests post to each port themselves."""
    env = bot_environment(
        Path("unused.db"),
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_BASE_URL=api_base_url,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        WEBHOOK_PORT=str(port),
        # libpq names every connection of the process: pg_stat_activity tells the processes apart.
        PGAPPNAME=name,
        **settings,
    )
    env["DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(REPO)
    return env


async def leader_name(database_url: str) -> str | None:
    """The PGAPPNAME of the process holding the leader lease, from pg_locks (None: nobody)."""
    import psycopg

    key = lock_key(LEADER) & (2**64 - 1)  # an advisory bigint key is stored as two 32-bit halves
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s"
            " AND l.objid::bigint = %s AND l.objsubid = 1"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (key >> 32, key & 0xFFFFFFFF),
        )
        row = await cur.fetchone()
    return None if row is None else str(row[0])


def callback_update(update_id: int, chat_id: int, data: str, bot_user: dict[str, Any]) -> dict[str, Any]:
    """A button press in a private chat, as Telegram posts it to a webhook."""
    person = {"id": chat_id, "is_bot": False, "first_name": f"Người {chat_id}", "language_code": "vi"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": person,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": person["first_name"]},
                "from": bot_user,
                "text": "…",
            },
            "chat_instance": f"ci{chat_id}",
            "data": data,
        },
    }


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    person = {"id": chat_id, "is_bot": False, "first_name": f"Người {chat_id}", "language_code": "vi"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": person["first_name"]},
        "from": person,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
    return {"update_id": update_id, "message": message}


async def post_update(session: Any, port: int, update: dict[str, Any]) -> int:
    """POST one update to a process's webhook, as the reverse proxy would; the HTTP status."""
    async with session.post(
        f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    ) as response:
        return int(response.status)
