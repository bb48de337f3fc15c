"""``python -m bot admin copy-database --to postgresql://…``: a SQLite deployment moved into an
empty PostgreSQL database, every table, id and history; refused for a database that is not empty
or while a bot runs on the SQLite file. And the commands on PostgreSQL from an empty database.
Skipped, with the reason in the summary, when no PostgreSQL server answers."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.bootstrap import open_runtime
from bot.config import Settings
from bot.demo import seed_demo
from handlers.training import service
from storage.locks import LEADER, FileLock
from storage.outbox import StoredFile
from storage.store import Store
from tests.helpers import announce_now, bot_environment, ward_of_telegram_people
from tests.test_training_support import add_person, add_session

pytest_plugins = ("tests.postgres",)

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def bot(tmp_path: Path, database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = bot_environment(tmp_path / "unused.db") | {"DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


async def deployment(database: Path) -> None:
    """A SQLite deployment with rows in most tables: people, roles, sign-ups and a waiting list,
    reminders, a declaration with its history, an announcement with a picture, questions."""
    async with open_runtime(Settings(database_path=database)) as app:
        await seed_demo(app.services)
        session = await add_session(app, datetime.now(UTC) + timedelta(days=3), capacity=1)
        for name in ("lan", "minh"):
            person = await add_person(app, name)
            await service.sign_up(app.services, person, session.id)
        await ward_of_telegram_people(app.services, "ward", 30, 900_000)
        await announce_now(app.services, "ward", "Họp tổng kết năm học.")
        async with app.services.store.write() as tx:
            picture = await tx.outbox.add_attachment(
                StoredFile("ảnh.jpg", bytes(range(256)), "image/jpeg"), NOW
            )
            lan = await tx.users.by_key("console:lan")
            assert lan is not None
            await tx.outbox.enqueue(lan.id, "picture:1", "Ảnh", (), NOW, attachment_id=picture)
            await tx.questions.log_miss(
                "Quỹ khuyến học là gì?", "quy khuyen hoc", None, 0.123456789, "vi", NOW
            )
            await tx.questions.ask(lan.id, "lien_bao.tdp1", "Khi nào họp?", "vi", NOW)
            declaration = await tx.declarations.create(
                user_id=lan.id,
                year=2026,
                area_id="lien_bao",
                head_name="Lan",
                head_fold="lan",
                data={"thành viên": 3},
                assessment=[],
                now=NOW,
            )
            assert declaration is not None
            await tx.declarations.add_history(
                declaration.id, 1, "submitted", actor_id=lan.id, actor_role="family", now=NOW
            )


async def table_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    conn = store.read.conn
    if store.dialect == "sqlite":
        names = await conn.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        )
    else:
        names = await conn.fetch_all(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    tables = sorted(str(n[0]) for n in names if n[0] != "schema_version")
    found = {}
    for table in tables:
        rows = await conn.fetch_all(f"SELECT * FROM {table} ORDER BY 1")
        found[table] = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]
    return found


async def test_a_sqlite_deployment_is_copied_whole_and_numbering_continues(
    tmp_path: Path, postgres_url: str
) -> None:
    source = tmp_path / "khuyenhoc.db"
    await deployment(source)
    done = bot(tmp_path, f"sqlite:///{source}", "admin", "copy-database", "--to", postgres_url)
    assert done.returncode == 0, done.stderr
    assert "the counts match on both sides" in done.stdout and "  users: 34 rows" in done.stdout

    async with Store(source) as lite, Store(postgres_url) as pg:
        before, after = await table_rows(lite), await table_rows(pg)
        assert after == before  # every table, every column, every id
        assert sum(len(rows) for rows in after.values()) > 100
        empty = sorted(table for table, rows in after.items() if not rows)
        assert len(empty) < len(after) // 2, empty
        async with pg.write() as tx:  # new rows continue the numbering, no clash with copied ids
            user = await tx.users.create(
                key="console:new", channel="console", chat_id="new", display_name="", language="vi", now=NOW
            )
        assert user.id == max(row[0] for row in before["users"]) + 1

    again = bot(tmp_path, f"sqlite:///{source}", "admin", "copy-database", "--to", postgres_url)
    assert again.returncode == 1
    assert again.stderr.startswith("copy-database: the target database is not empty: ")
    assert len(again.stderr.strip().splitlines()) == 1


async def test_the_copy_waits_for_the_bot_to_stop(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "khuyenhoc.db"
    async with Store(source):
        pass
    running = FileLock(source, LEADER)  # what a running bot holds
    assert await running.try_acquire()
    try:
        done = bot(tmp_path, f"sqlite:///{source}", "admin", "copy-database", "--to", postgres_url)
    finally:
        await running.release()
    assert done.returncode == 1 and "a bot process is running on" in done.stderr
    async with Store(postgres_url) as pg:  # nothing was written there
        assert await pg.read.users.count() == 0


def test_the_commands_work_on_an_empty_postgres_database(tmp_path: Path, postgres_url: str) -> None:
    """chat (migrations applied, demo data seeded), report, admin and ask on PostgreSQL."""
    chat = bot(tmp_path, postgres_url, "chat", stdin="dong y\nlien bao\n2\n1\nco\n/lichhoc\n/quit\n")
    assert chat.returncode == 0, chat.stderr
    assert "Xong rồi!" in chat.stdout and "Hội nghị tập huấn" in chat.stdout
    areas = bot(tmp_path, postgres_url, "admin", "areas", "list")
    assert areas.returncode == 0 and "lien_bao" in areas.stdout, areas.stderr
    report = bot(tmp_path, postgres_url, "report", "weekly", "--weeks", "2")
    assert report.returncode == 0, report.stderr
    assert "1" in report.stdout
    ask = bot(tmp_path, postgres_url, "ask", "tieu chi gia dinh hoc tap")
    assert ask.returncode == 0 and "Nguồn" in ask.stdout, ask.stderr
