"""Zalo webhook under a burst: N people write at the same moment. How long each POST waits for its
answer (a platform that waits too long times out and sends the event again), and how long until
every person has had a reply.

    .venv/bin/python bench/webhook_burst.py                   # this checkout
    .venv/bin/python bench/webhook_burst.py --code DIR        # another checkout (e.g. before a change)
    .venv/bin/python bench/webhook_burst.py --people 100 --rounds 3 --send-delay 0.1

The bot is a real process (``python -m bot run``, Zalo in webhook mode, SQLite); this process is
the platform: a fake Zalo Bot API (each ``sendMessage`` answered after ``--send-delay`` seconds,
like a distant API) and the client that posts the burst. Each person is onboarded and asks a
question of the knowledge base.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.zalo_api import FakeZaloApi

SECRET = "bench-secret-0123456789"
QUESTION = "tiêu chí gia đình học tập là gì"

# Run with the checked-out code under test: people consented, with a home area.
PREPARE = """
import asyncio, sys
from pathlib import Path
from bot.bootstrap import open_runtime
from bot.config import Settings
from bot.demo import seed_demo

async def main(path, people):
    async with open_runtime(Settings(database_path=Path(path))) as app:
        await seed_demo(app.services)
        stamp = "2026-01-01T00:00:00.000000Z"
        async with app.services.store.write() as tx:
            await tx.conn.execute_many(
                "INSERT INTO users (key, channel, chat_id, display_name, language, area_id, consent_at,"
                " created_at, updated_at) VALUES (?, 'zalo', ?, 'Bình', 'vi', 'lien_bao.tdp1', ?, ?, ?)",
                [(f"zalo:p{n}", f"p{n}", stamp, stamp, stamp) for n in range(people)],
            )

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def code_env(code: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_"))}
    return env | {"PYTHONPATH": str(code), **extra}


async def one_round(code: Path, people: int, send_delay: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.db"
        prepare = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PREPARE, str(database), str(people), cwd=tmp, env=code_env(code)
        )
        assert await prepare.wait() == 0, "could not prepare the database"
        async with FakeZaloApi() as zalo:
            zalo.slow_send = send_delay
            port = free_port()
            url = f"http://127.0.0.1:{port}/zalo"
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=tmp,
                env=code_env(
                    code,
                    DATABASE_URL=f"sqlite:///{database}",
                    ZALO_BOT_TOKEN=zalo.token,
                    ZALO_BASE_URL=zalo.base_url,
                    ZALO_WEBHOOK_URL=url,
                    ZALO_WEBHOOK_SECRET=SECRET,
                    WEBHOOK_PORT=str(port),
                    ZALO_RATE="1000",
                ),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                deadline = time.monotonic() + 60
                while zalo.webhook_url != url:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the bot did not set its webhook")
                    await asyncio.sleep(0.05)
                events = [zalo.event(f"p{n}", text=QUESTION) for n in range(people)]
                latencies: list[float] = []
                statuses: list[int] = []
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as session:

                    async def post(event: dict[str, object]) -> None:
                        started = time.perf_counter()
                        async with session.post(
                            url, json=event, headers={"X-Bot-Api-Secret-Token": SECRET}
                        ) as response:
                            statuses.append(response.status)
                        latencies.append(time.perf_counter() - started)

                    burst = time.perf_counter()
                    await asyncio.gather(*(post(e) for e in events))
                    while len({s.chat_id for s in zalo.sent}) < people:
                        if time.perf_counter() - burst > 120:
                            raise RuntimeError("not every person got a reply within 120 s")
                        await asyncio.sleep(0.01)
                    all_replied = time.perf_counter() - burst
            finally:
                bot.send_signal(signal.SIGTERM)
                await bot.wait()
    latencies.sort()
    return {
        "ok": sum(1 for s in statuses if s == 200),
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "max": latencies[-1],
        "all_replied": all_replied,
    }


async def run(args: argparse.Namespace) -> None:
    print(f"code: {args.code}; {args.people} simultaneous events; sendMessage takes {args.send_delay} s")
    for n in range(args.rounds):
        r = await one_round(args.code, args.people, args.send_delay)
        print(
            f"round {n + 1}: {int(r['ok'])}/{args.people} answered 200; POST answered in p50 "
            f"{r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms, max {r['max'] * 1000:.0f} ms; "
            f"every person replied to after {r['all_replied']:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--send-delay", type=float, default=0.1, help="seconds per sendMessage")
    args = parser.parse_args()
    args.code = args.code.resolve()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
