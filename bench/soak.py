"""Memory over a long run: messages from many people through the real router, RSS printed as it goes.

    .venv/bin/python bench/soak.py [--messages 100000] [--people 2000] [--every 10000]

A fresh SQLite database with the demo data (bot.bootstrap, as `run` builds it, without platforms);
each person onboards (consent, ward, village) and then asks questions, opens commands, taps
buttons and types numbers, round-robin, so that every person has a conversation state, a lock,
a menu and outbox rows. RSS (resident memory, from /proc/self/statm) is printed every ``--every``
messages; the last line gives the growth after warm-up (once every person has sent every kind
of message once).
``tests/test_soak.py`` runs a shorter version and fails when memory keeps growing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.bootstrap import open_runtime
from bot.config import Settings
from bot.demo import seed_demo
from bot.model import Incoming
from bot.router import Router

# What people send after onboarding, in turn: questions (answered, unsure, a miss), commands,
# numbers and words for the menu on screen, thanks.
SCRIPT = (
    "tieu chi gia dinh hoc tap la gi",
    "/lichhoc",
    "1",
    "cam on",
    "nha toi o xa truong thi co duoc ho tro xe dua don ko {n}",
    "/trogiup",
    "cong dan hoc tap can nhung gi",
    "2",
    "/dulieu",
    "ok",
)


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576


@dataclass(slots=True)
class Soak:
    samples: list[tuple[int, float]]  # (messages sent, RSS MB)
    seconds: float
    warm_after: int  # messages after which every kind of message has been handled at least once

    @property
    def warm(self) -> float:
        """RSS once warmed up: every person has onboarded and sent each kind of message once
        (caches filled, the knowledge base loaded, SQLite's page cache full)."""
        return next((mb for n, mb in self.samples if n >= self.warm_after), self.samples[-1][1])

    @property
    def growth_after_warmup(self) -> float:
        return self.samples[-1][1] - self.warm


def _messages(people: int) -> Callable[[int], tuple[str, str]]:
    """The n-th message: (person, text). Each person onboards with their first four."""
    onboarding = ("/start", "1", "1", "1", "1")

    def nth(n: int) -> tuple[str, str]:
        person, turn = n % people, n // people
        if turn < len(onboarding):
            return f"p{person}", onboarding[turn]
        text = SCRIPT[(turn - len(onboarding)) % len(SCRIPT)]
        return f"p{person}", text.format(n=n)

    return nth


async def soak(messages: int, people: int, every: int, report: Callable[[str], None] = print) -> Soak:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_path=Path(folder) / "soak.db")
        async with open_runtime(settings) as runtime:
            await seed_demo(runtime.services)
            router: Router = runtime.router
            nth = _messages(people)
            samples: list[tuple[int, float]] = []
            started = time.perf_counter()
            batch = 16  # people in parallel, as the inbox handles them

            async def one(n: int) -> None:
                person, text = nth(n)
                await router.replies_for(Incoming("console", person, person, text=text, display_name=person))

            for first in range(0, messages, batch):
                await asyncio.gather(*(one(n) for n in range(first, min(first + batch, messages))))
                done = min(first + batch, messages)
                if done % every < batch or done == messages:
                    gc.collect()
                    samples.append((done, rss_mb()))
                    elapsed = time.perf_counter() - started
                    report(f"{done:>8,} messages  RSS {samples[-1][1]:7.1f} MB  {elapsed:7.1f} s")
            return Soak(samples, time.perf_counter() - started, people * (5 + len(SCRIPT)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--every", type=int, default=10_000)
    args = parser.parse_args()
    result = asyncio.run(soak(args.messages, args.people, args.every))
    first, last = result.samples[0][1], result.samples[-1][1]
    print(
        f"{args.messages:,} messages from {args.people:,} people in {result.seconds:.0f} s "
        f"({args.messages / result.seconds:.0f}/s): RSS {first:.1f} MB after {result.samples[0][0]:,}, "
        f"{result.warm:.1f} MB after warm-up, {last:.1f} MB at the end "
        f"({result.growth_after_warmup:+.1f} MB after warm-up)"
    )


if __name__ == "__main__":
    main()
