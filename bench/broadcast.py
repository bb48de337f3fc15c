"""Broadcast benchmark: the real delivery worker and python-telegram-bot client sending one
announcement to many people through a fake Bot API server on 127.0.0.1 (a separate process).

    .venv/bin/python bench/broadcast.py            # the four cases of the issue
    .venv/bin/python bench/broadcast.py --quick    # smaller runs, for a smoke check

Prints, per case: recipients, configured rate, achieved rate (messages that reached the server
per second, from the first to the last delivery), wall time until every outbox row was final,
duplicates (a person who received the announcement twice) and losses (a person who did not
receive it although their row says 'sent', or whose row did not end in a final state).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.bootstrap import open_runtime
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.delivery.worker import ChannelLimits, DeliveryWorker, RetryPolicy
from tests.helpers import announce_now, ward_of_telegram_people

TOKEN = "123456:BENCH"


@dataclass(frozen=True)
class Case:
    name: str
    recipients: int
    rate: float  # messages per second; 0 = uncapped
    faults: bool


def _server(conn: mp.connection.Connection, faults: bool, seed: int) -> None:
    """Child process: the fake Bot API server, answering stats requests over a pipe."""
    from tests.fakes.telegram_api import FakeTelegram, Fault

    async def main() -> None:
        rng = random.Random(seed)
        injected: Counter[str] = Counter()

        def policy(call: object) -> Fault | None:
            if not faults or getattr(call, "method", "") != "sendMessage":
                return None
            draw = rng.random()
            if draw < 0.02:
                injected["429"] += 1
                return Fault.too_many_requests(1)
            if draw < 0.03:
                injected["500"] += 1
                return Fault.server_error()
            return None

        async with FakeTelegram(TOKEN, validate=False) as api:
            api.policy = policy
            conn.send(api.base_url)
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stop":
                    return
                times = [c.at for c in api.calls if c.method == "sendMessage" and c.ok]
                conn.send(
                    {
                        "deliveries": dict(api.deliveries),
                        "first": min(times, default=0.0),
                        "last": max(times, default=0.0),
                        "injected": dict(injected),
                    }
                )

    asyncio.run(main())


async def run_case(case: Case, seed: int, in_flight: int) -> dict[str, object]:
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=_server, args=(child, case.faults, seed), daemon=True)
    server.start()
    base_url = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            telegram_token=TOKEN,
            telegram_base_url=base_url,
            database_path=Path(tmp) / "bench.db",
            telegram_rate=case.rate,  # PTB's own overall limiter (0: none)
        )
        async with open_runtime(settings) as app:
            services = app.services
            await ward_of_telegram_people(services, "bench", case.recipients, 100_000)
            broadcast = await announce_now(
                services, "bench", "Kính mời các gia đình dự hội nghị tập huấn xây dựng Gia đình học tập."
            )
            fanned = len(await services.store.read.outbox.rows(broadcast.batch))
            channel = TelegramChannel(settings, app.router, services)
            await channel.app.initialize()
            limits = ChannelLimits(per_second=case.rate, per_chat_gap=1.0, in_flight=in_flight)
            worker = DeliveryWorker(
                services.store,
                services.clock,
                {"telegram": channel},
                {"telegram": limits},
                RetryPolicy(max_attempts=5, first_backoff=0.5),
                poll_interval=0.05,
            )
            started = time.perf_counter()
            await worker.start()
            while True:
                counts = await services.store.read.outbox.batch_counts(broadcast.batch)
                if not counts.get("pending") and not counts.get("sending"):
                    break
                await asyncio.sleep(0.05)
            wall = time.perf_counter() - started
            await worker.stop()
            await channel.app.shutdown()
            final = await services.store.read.outbox.rows(broadcast.batch)
            rows = {r.user_id: r.state for r in final}
            users = await services.store.read.conn.fetch_all(
                "SELECT id, chat_id FROM users WHERE channel = 'telegram'"
            )
            chat_of = {r[0]: r[1] for r in users}
    parent.send("stats")
    stats = parent.recv()
    parent.send("stop")
    server.join(5)
    deliveries: dict[str, int] = stats["deliveries"]
    duplicates = sum(n - 1 for n in deliveries.values() if n > 1)
    losses = sum(
        1
        for user_id, state in rows.items()
        if (state == "sent" and deliveries.get(chat_of[user_id], 0) == 0) or state in ("pending", "sending")
    )
    delivered = sum(1 for n in deliveries.values() if n > 0)
    span = max(1e-9, stats["last"] - stats["first"])
    return {
        "case": case.name,
        "recipients": fanned,
        "configured": "uncapped" if case.rate == 0 else f"{case.rate:g}/s",
        "achieved": delivered / span if delivered > 1 else 0.0,
        "wall": wall,
        "states": dict(Counter(rows.values())),
        "duplicates": duplicates,
        "losses": losses,
        "injected": stats["injected"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke check)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--in-flight", type=int, default=16, help="concurrent requests of the worker")
    parser.add_argument("--only", help="run only the case with this name")
    args = parser.parse_args()
    capped, uncapped = (300, 2000) if args.quick else (1000, 10000)
    cases = [
        Case("capped", capped, 30, False),
        Case("uncapped", uncapped, 0, False),
        Case("capped + faults", capped, 30, True),
        Case("uncapped + faults", uncapped, 0, True),
    ]
    print(f"machine: {mp.cpu_count()} cores; fake Bot API in a separate process on 127.0.0.1", flush=True)
    header = f"{'case':<20}{'recipients':>11}{'limit':>10}{'achieved/s':>12}{'of limit':>10}{'wall s':>9}"
    print(header + f"{'dup':>6}{'lost':>6}  final states / injected faults", flush=True)
    for case in cases:
        if args.only and case.name != args.only:
            continue
        result = asyncio.run(run_case(case, args.seed, args.in_flight))
        share = f"{result['achieved'] / case.rate:.0%}" if case.rate else "-"
        print(
            f"{result['case']:<20}{result['recipients']:>11}{result['configured']:>10}"
            f"{result['achieved']:>12.1f}{share:>10}{result['wall']:>9.1f}"
            f"{result['duplicates']:>6}{result['losses']:>6}  {result['states']} {result['injected']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
