"""Shared fixtures: a real database per test (a SQLite file, or with TEST_DATABASE=postgresql a
fresh PostgreSQL database), the real app, a controllable clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
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
def settings(tmp_path: Path) -> Iterator[Settings]:
    base = Settings(database_path=tmp_path / "test.db", admin_ids=frozenset({"console:boss"}))
    backend = os.environ.get("TEST_DATABASE", "sqlite")
    if backend == "sqlite":
        yield base
        return
    if backend != "postgresql":
        pytest.fail(f"TEST_DATABASE must be sqlite or postgresql (got {backend!r})", pytrace=False)
    from tests.postgres import fresh_database, unavailable

    reason = unavailable()
    if reason is not None:  # asked for explicitly: fail rather than skip
        pytest.fail(f"TEST_DATABASE=postgresql, but {reason}", pytrace=False)
    with fresh_database() as url:
        yield replace(base, postgres_url=url)


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, clock) as built:
        await seed_demo(built.services)
        yield built


@pytest.fixture
def chat(app: Runtime) -> Transcript:
    """A terminal-channel conversation as family user ``console:fam``."""
    return Transcript(app.router, "fam")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once, at the end, when the Bot API spec was not found: the fake server then decodes the
    bot's requests without checking them against it (the checker's own tests use a small sample)."""
    from tests.fakes.telegram_spec import SPEC_NOTE, load_spec, spec_path

    if load_spec.cache_info().currsize and load_spec() is None:
        where = f"Bot API spec not at {spec_path()}"
        terminalreporter.write_sep(
            "-", f"{where}: the bot's requests were not checked against it ({SPEC_NOTE})", yellow=True
        )
