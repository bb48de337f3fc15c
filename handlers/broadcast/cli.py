"""``python -m bot admin broadcasts``: announcements with their delivery figures."""

from __future__ import annotations

import argparse
from typing import Any

from bot.services import Services


def add_parsers(commands: Any, admin: Any) -> None:
    broadcasts = admin.add_parser("broadcasts", help="list announcements with their delivery figures")
    broadcasts.add_argument("--limit", type=int, default=20)
    broadcasts.set_defaults(run=run)


async def run(args: argparse.Namespace, services: Services) -> int:
    store = services.store.read
    for item in await store.broadcasts.recent(args.limit):
        counts = await store.outbox.batch_counts(item.batch)
        figures = " ".join(f"{state}={n}" for state, n in sorted(counts.items()))
        print(
            f"#{item.id}\t{item.state}\t{item.scheduled_at:%Y-%m-%d %H:%M}Z\t{item.audience}:"
            f"{item.area_id or 'all'}\trecipients={item.recipients}\t{figures}\tby {item.author_key}"
        )
    return 0
