"""Bounded memory (issue 17 item 8): messages from many people through the router, RSS flat once
warmed up; the delivery lane forgets idle chats. bench/soak.py is the long run (100,000 messages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.soak import soak
from bot.delivery.worker import ChannelLimits, _Lane


async def test_rss_is_flat_after_warm_up() -> None:
    result = await soak(messages=24_000, people=800, every=2_000, report=lambda _line: None)
    assert result.samples[-1][0] == 24_000
    # Warmed up after 12,000 messages (every person has sent every kind once); 12,000 more may not
    # grow memory beyond noise (before the fixes it grew about 0.5 kB a message: 6 MB here).
    assert result.growth_after_warmup < 3.0, result.samples


def test_the_delivery_lane_forgets_idle_chats() -> None:
    lane = _Lane(ChannelLimits(per_chat_gap=1.0))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(30_000):  # a broadcast to 30,000 people at 25 a second
        lane.sent(f"chat{n}", start + timedelta(seconds=n / 25))
    assert len(lane.last_sent) <= 2 * 25 + 1  # at most two gaps of sends, not one per chat
    lane.forget_idle(start + timedelta(hours=1))
    assert lane.last_sent == {}
