"""Shared fixtures: a real SQLite file per test, the real app, a controllable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.bootstrap import Runtime, open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.demo import seed_demo
from tests.helpers import Transcript

# A Tuesday morning in Hà Nội (UTC+7): 2026-11-24 09:00 local.
START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_path=tmp_path / "test.db", admin_ids=frozenset({"console:boss"}))


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, clock) as built:
        await seed_demo(built.services)
        yield built


@pytest.fixture
def chat(app: Runtime) -> Transcript:
    """A terminal-channel conversation as family user ``console:fam``."""
    return Transcript(app.router, "fam")
