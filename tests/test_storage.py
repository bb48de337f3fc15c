"""Storage: migrations from empty, atomic and isolated units of work under concurrency."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from bot.clock import ManualClock
from storage.migrate import migration_files
from storage.sql import IntegrityError
from storage.store import Store


async def test_migrations_apply_from_empty_and_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    async with Store(path):
        pass
    async with Store(path):  # second start applies nothing new
        pass
    async with aiosqlite.connect(path) as conn:
        async with conn.execute("SELECT version FROM schema_version ORDER BY version") as cur:
            versions = [r[0] for r in await cur.fetchall()]
        async with conn.execute("PRAGMA journal_mode") as cur:
            mode = (await cur.fetchone())[0]
    assert versions == [v for v, _, _ in migration_files()]
    assert mode == "wal"


async def test_foreign_keys_are_enforced(tmp_path: Path, clock: ManualClock) -> None:
    async with Store(tmp_path / "f.db") as store:
        with pytest.raises(IntegrityError):
            async with store.write() as tx:
                user = await tx.users.create(
                    key="console:a",
                    channel="console",
                    chat_id="a",
                    display_name="",
                    language="vi",
                    now=clock.now(),
                )
                await tx.users.set_area(user.id, "no-such-area", clock.now())


async def test_concurrent_units_of_work_do_not_lose_or_leak_writes(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Many tasks share one writer connection: no lost update, and one task's rollback
    never erases another's commit (coroutines on one aiosqlite connection share its transaction)."""
    async with Store(tmp_path / "c.db") as store:
        async with store.write() as tx:
            await tx.conn.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
            await tx.conn.execute("INSERT INTO counter VALUES (0)")

        async def increment() -> None:
            async with store.write() as tx:
                row = await tx.conn.fetch_one("SELECT n FROM counter")
                assert row is not None
                (n,) = row
                await asyncio.sleep(0)  # give other tasks every chance to interleave
                await tx.conn.execute("UPDATE counter SET n = ?", (n + 1,))

        async def fail_after_write() -> None:
            async with store.write() as tx:
                await tx.conn.execute("UPDATE counter SET n = n + 1000")
                await asyncio.sleep(0)
                raise RuntimeError("boom")

        tasks = [increment() for _ in range(100)] + [fail_after_write() for _ in range(20)]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert sum(isinstance(r, RuntimeError) for r in results) == 20
        row = await store.read.conn.fetch_one("SELECT n FROM counter")
        assert row is not None and row[0] == 100


async def test_invite_can_be_claimed_only_once(tmp_path: Path, clock: ManualClock) -> None:
    from datetime import timedelta

    async with Store(tmp_path / "i.db") as store:
        now = clock.now()
        async with store.write() as tx:
            await tx.invites.create("code1", "admin", None, "cli", now, now + timedelta(days=1))
            a = await tx.users.create(
                key="console:a", channel="console", chat_id="a", display_name="", language="vi", now=now
            )
            b = await tx.users.create(
                key="console:b", channel="console", chat_id="b", display_name="", language="vi", now=now
            )

        async def claim(user_id: int) -> bool:
            async with store.write() as tx:
                return await tx.invites.claim("code1", user_id, now) is not None

        outcomes = await asyncio.gather(claim(a.id), claim(b.id))
        assert sorted(outcomes) == [False, True]
