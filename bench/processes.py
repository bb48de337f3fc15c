"""Several bot processes: updates per second end to end, and a broadcast whose leader is killed.

    .venv/bin/python bench/processes.py                  # both parts
    .venv/bin/python bench/processes.py --only updates   # or: --only takeover
    .venv/bin/python bench/processes.py --quick          # smaller runs, for a smoke check

Real ``python -m bot run`` processes in webhook mode, the fake Bot API server in a process of its
own, this process posting updates to the bots' webhooks as nginx would. PostgreSQL cases need the
server at TEST_POSTGRES_URL (default: the local one, as for the tests); each case gets a fresh
database, dropped afterwards.

1. Updates per second, end to end: from the first update posted until the last answer reached
   the Bot API server. ``people`` private chats each send ``/lichhoc`` ``per_person`` times (one
   after another, each as soon as the webhook accepted the previous one), every update going to
   the next process in turn. Beside each figure, a bare python-telegram-bot echo bot
   (bench/echo_bot.py) answering the same updates in the same run. TELEGRAM_RATE=1000 so that
   the bot's own rate limiter does not cap the figure.
2. Takeover: two processes on PostgreSQL, a broadcast to ``recipients``, the leader killed with
   ``kill -9`` half-way. Time until the other process sends again, duplicates, losses (a row
   'sent' that never arrived, or a row left unfinished), rows left 'uncertain' (in flight at the
   kill: reported to the officer, never resent) and how many of those had in fact arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bot.bootstrap import open_runtime
from bot.config import Settings
from handlers.training import service
from tests.bot_processes import (
    WEBHOOK_SECRET,
    BotProcess,
    free_port,
    leader_name,
    post_update,
    text_update,
    webhook_environment,
)
from tests.helpers import REPO, announce_now, ward_of_telegram_people

TOKEN = "123456:BENCH"
FIRST_CHAT = 600_000  # the people who write (part 1)
BROADCAST_CHAT = 900_000  # the recipients of the broadcast (part 2): counted apart


# -- the fake Bot API server, in a process of its own -------------------------------------------
def _server(conn: Any) -> None:
    from tests.fakes.telegram_api import FakeTelegram

    async def main() -> None:
        async with FakeTelegram(TOKEN, validate=False) as api:
            conn.send(api.base_url)
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stop":
                    return
                if command == "count":
                    conn.send(sum(1 for c in api.calls if c.method == "sendMessage" and c.ok))
                    continue
                sends = [(c.at, c.chat_id) for c in api.calls if c.method == "sendMessage" and c.ok]
                conn.send({"sends": sends, "deliveries": dict(api.deliveries)})

    asyncio.run(main())


class FakeApi:
    def __init__(self) -> None:
        self._conn, child = mp.Pipe()
        self._process = mp.get_context("spawn").Process(target=_server, args=(child,), daemon=True)

    def __enter__(self) -> FakeApi:
        self._process.start()
        self.base_url: str = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join(5)

    def sent(self) -> int:
        self._conn.send("count")
        return int(self._conn.recv())

    def stats(self) -> dict[str, Any]:
        self._conn.send("stats")
        return dict(self._conn.recv())


def fresh_postgres(stack: ExitStack) -> str:
    from tests.postgres import fresh_database, unavailable

    reason = unavailable()
    if reason is not None:
        raise SystemExit(f"PostgreSQL needed: {reason}")
    return stack.enter_context(fresh_database())


# -- part 1: updates per second ------------------------------------------------------------------
class EchoBot:
    def __init__(self, base_url: str, port: int, folder: Path) -> None:
        self.port = port
        self.log = folder / "echo.log"
        self._args = (base_url, TOKEN, str(port), WEBHOOK_SECRET)
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(REPO / "bench" / "echo_bot.py"), *self._args, stdout=log, stderr=log
            )

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def wait_for_sends(api: FakeApi, target: int, within: float) -> float:
    """Until the server has answered ``target`` sendMessage calls in all; when that happened."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if api.sent() >= target:
            return time.perf_counter()
        await asyncio.sleep(0.02)
    raise RuntimeError(f"only {api.sent()} of {target} answers arrived within {within:.0f} s")


async def drive(
    api: FakeApi, ports: list[int], people: int, per_person: int, first_id: int, sticky: bool = False
) -> float:
    """Post people × per_person updates round-robin over ``ports`` (``sticky``: each person's to one
    process); updates per second end to end."""
    before = api.sent()
    counter = iter(range(10**9))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:

        async def person(index: int) -> None:
            for _ in range(per_person):
                n = next(counter)
                port = ports[(index if sticky else n) % len(ports)]
                status = await post_update(
                    http, port, text_update(first_id + n, FIRST_CHAT + index, "/lichhoc")
                )
                assert status == 200, status

        started = time.perf_counter()
        await asyncio.gather(*(person(i) for i in range(people)))
    total = people * per_person
    finished = await wait_for_sends(api, before + total, within=300)
    return total / (finished - started)


async def wait_healthy_echo(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the echo bot did not start")


async def prepare(settings: Settings, people: int) -> None:
    async with open_runtime(settings) as app:
        await ward_of_telegram_people(app.services, "ward", people, FIRST_CHAT)
        await service.create_session(
            app.services,
            service.SessionInput(
                title="Tập huấn “Gia đình học tập”",
                starts_at=datetime.now(UTC) + timedelta(days=3),
                duration_min=120,
                place="Nhà văn hóa",
                audience="all",
                area_id="ward",
                capacity=60,
                description="",
                reminder_offsets=(1440, 120),
            ),
            by="bench",
        )


async def updates_case(name: str, api: FakeApi, people: int, per_person: int, folder: Path) -> float:
    """One system's figure: 'echo', 'sqlite-1', 'postgresql-1', 'postgresql-2' (each update to the
    next process, as nginx does) or 'postgresql-2-sticky' (each person's updates to one process)."""
    with ExitStack() as stack:
        started: list[Any] = []
        try:
            if name == "echo":
                echo = EchoBot(api.base_url, free_port(), folder)
                await echo.start()
                started.append(echo)
                await wait_healthy_echo(echo.port)
                ports = [echo.port]
            else:
                if name.startswith("sqlite"):
                    url = f"sqlite:///{folder / f'{name}-{time.monotonic_ns()}.db'}"
                    await prepare(Settings(database_path=Path(url.removeprefix("sqlite:///"))), people)
                else:
                    url = fresh_postgres(stack)
                    await prepare(Settings(postgres_url=url), people)
                count = int(name.removesuffix("-sticky").rsplit("-", 1)[1])
                bots = []
                for i in range(count):
                    port = free_port()
                    env = webhook_environment(
                        url, api.base_url, TOKEN, port, f"bot-{i}", TELEGRAM_RATE="1000"
                    )
                    bots.append(await BotProcess(f"{name}-{i}", folder, env, port).start())
                started.extend(bots)
                await asyncio.gather(*(bot.wait_healthy() for bot in bots))
                ports = [bot.port for bot in bots]
            # Warm-up, not measured: first requests load what loads lazily (the knowledge base…).
            before = api.sent()
            async with aiohttp.ClientSession() as http:
                for n in range(4 * len(ports)):
                    update = text_update(n + 1, FIRST_CHAT + n, "/lichhoc")
                    await post_update(http, ports[n % len(ports)], update)
            await wait_for_sends(api, before + 4 * len(ports), within=60)
            return await drive(api, ports, people, per_person, 1000, sticky=name.endswith("-sticky"))
        finally:
            for process in started:
                await process.stop()


# -- part 2: takeover ------------------------------------------------------------------------------
async def takeover_case(api: FakeApi, recipients: int, rate: float, folder: Path) -> dict[str, Any]:
    with ExitStack() as stack:
        url = fresh_postgres(stack)
        bots = []
        for name in ("bot-a", "bot-b"):
            port = free_port()
            env = webhook_environment(url, api.base_url, TOKEN, port, name, TELEGRAM_RATE=f"{rate:g}")
            bots.append(await BotProcess(name, folder, env, port).start())
        try:
            await asyncio.gather(*(bot.wait_healthy() for bot in bots))
            leading = await leader_name(url)
            leader = next(bot for bot in bots if bot.name == leading)
            follower = next(bot for bot in bots if bot is not leader)
            async with open_runtime(Settings(postgres_url=url)) as app:
                await ward_of_telegram_people(app.services, "ward", recipients, BROADCAST_CHAT)
                before = api.sent()
                broadcast = await announce_now(app.services, "ward", "Mời các gia đình dự lễ công nhận.")
                await wait_for_sends(api, before + recipients // 2, within=300)
                leader.kill()
                killed_at = time.perf_counter()
                await leader.stop()
                store = app.services.store.read
                while True:
                    counts = await store.outbox.batch_counts(broadcast.batch)
                    if not counts.get("pending") and not counts.get("sending"):
                        break
                    await asyncio.sleep(0.05)
                settled_at = time.perf_counter()
                rows = await store.outbox.rows(broadcast.batch)
                users = await store.conn.fetch_all("SELECT id, chat_id FROM users WHERE channel = 'telegram'")
                chat_of = {r[0]: r[1] for r in users}
                new_leader = await leader_name(url)
        finally:
            for bot in bots:
                await bot.stop()
    stats = api.stats()
    deliveries: dict[str, int] = stats["deliveries"]
    ours = {str(BROADCAST_CHAT + i) for i in range(recipients)}
    times = sorted(at for at, chat in stats["sends"] if chat in ours)
    after = [t for t in times if t > killed_at]
    states = Counter(r.state for r in rows)
    uncertain = [r for r in rows if r.state == "uncertain"]
    return {
        "recipients": len(rows),
        "killed_after": sum(1 for t in times if t <= killed_at),
        "takeover": (after[0] - killed_at) if after else float("nan"),
        "new_leader": new_leader == follower.name,
        "duplicates": sum(n - 1 for chat, n in deliveries.items() if chat in ours and n > 1),
        "losses": sum(
            1
            for r in rows
            if (r.state == "sent" and deliveries.get(chat_of[r.user_id], 0) == 0)
            or r.state not in ("sent", "uncertain")
        ),
        "uncertain": len(uncertain),
        "uncertain_arrived": sum(1 for r in uncertain if deliveries.get(chat_of[r.user_id], 0) == 1),
        "states": dict(states),
        "wall": settled_at - (times[0] if times else killed_at),
        "rate_before": _rate([t for t in times if t <= killed_at]),
        "rate_after": _rate(after),
    }


def _rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke check)")
    parser.add_argument("--only", choices=("updates", "takeover"))
    parser.add_argument("--systems", help="comma-separated subset of the updates part, e.g. echo,sqlite-1")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the updates part")
    args = parser.parse_args()
    people, per_person = (20, 5) if args.quick else (50, 20)
    recipients = 300 if args.quick else 1000
    print(f"machine: {mp.cpu_count()} cores; fake Bot API in a process of its own on 127.0.0.1", flush=True)
    with tempfile.TemporaryDirectory() as tmp, FakeApi() as api:
        folder = Path(tmp)
        if args.only in (None, "updates"):
            systems = ["echo", "sqlite-1", "postgresql-1", "postgresql-2", "postgresql-2-sticky"]
            if args.systems:
                systems = [name for name in systems if name in args.systems.split(",")]
            print(f"\nupdates per second end to end ({people} people × {per_person} × /lichhoc)", flush=True)
            results: dict[str, list[float]] = {name: [] for name in systems}
            for round_no in range(args.rounds):
                for name in systems:
                    figure = await updates_case(name, api, people, per_person, folder)
                    results[name].append(figure)
                    print(f"  round {round_no + 1}  {name:<20}{figure:8.1f} updates/s", flush=True)
            for name, figures in results.items():
                print(
                    f"  {name:<20} median {statistics.median(figures):6.1f}   "
                    f"range {min(figures):.1f}–{max(figures):.1f}",
                    flush=True,
                )
        if args.only in (None, "takeover"):
            rate = 100.0
            print(
                f"\ntakeover: broadcast to {recipients}, TELEGRAM_RATE={rate:g} (outbox {rate * 0.8:g}/s), "
                "leader killed half-way, LEADER_CHECK_SECONDS default",
                flush=True,
            )
            result = await takeover_case(api, recipients, rate, folder)
            for key, value in result.items():
                shown = f"{value:.2f}" if isinstance(value, float) else value
                print(f"  {key:<18}{shown}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
