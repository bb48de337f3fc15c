"""``python -m bot admin broadcasts``: announcements with their delivery figures."""

from __future__ import annotations

import argparse
from typing import Any

from bot.services import Services
from handlers.broadcast.service import delivered_total


def add_parsers(commands: Any, admin: Any) -> None:
    broadcasts = admin.add_parser(
        "broadcasts", help="list announcements with their delivery figures (times in TIMEZONE)"
    )
    broadcasts.add_argument("--limit", type=int, default=20)
    broadcasts.set_defaults(run=run)


async def run(args: argparse.Namespace, services: Services) -> int:
    """One line per announcement: its time in local time (TIMEZONE), and figures counted from its
    outbox rows, as the officer's report counts them."""
    store = services.store.read
    tz = services.settings.timezone
    for item in await store.broadcasts.recent(args.limit):
        counts = await store.outbox.batch_counts(item.batch)
        figures = " ".join(f"{state}={n}" for state, n in sorted(counts.items()))
        total = delivered_total(counts)
        gone = f"\tdeleted={item.recipients - total}" if item.recipients > total else ""
        local = item.scheduled_at.astimezone(tz)
        print(
            f"#{item.id}\t{item.state}\t{local:%Y-%m-%d %H:%M} {local:%z}\t{item.audience}:"
            f"{item.area_id or 'all'}\trecipients={total}\t{figures}{gone}\tby {item.author_key}"
        )
    return 0
