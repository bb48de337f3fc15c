"""Copy a SQLite deployment into an empty PostgreSQL database: every table, every id, all history.

``python -m bot admin copy-database --to postgresql://…`` uses this when a deployment outgrows
one process. The target gets the same migrations first (so both schemas are the same, as the
storage contract tests check), then every table's rows in one transaction, parents before
children (foreign keys), by ``COPY``; the identity sequences are moved past the copied ids, so
new rows continue the numbering. The counts of both sides are compared at the end.

Refused: a target that holds any row of ours (it is not a fresh database), a source that is not
SQLite, and a source that a running bot holds (its leader lock): a bot writing during the copy
would lose what it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import aiosqlite

from storage.db import Database
from storage.locks import LEADER, FileLock

BATCH = 5_000  # rows read from SQLite at a time: a million events never sit in memory at once
SKIPPED_TABLES = ("schema_version",)  # written by the migrations on the target


class CopyError(Exception):
    """The copy was refused or failed; the message is one line for the operator."""


@dataclass(slots=True)
class CopyReport:
    counts: dict[str, int] = field(default_factory=dict)  # table → rows copied (and found on both)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


async def _tables_in_order(conn: aiosqlite.Connection) -> list[str]:
    """Our tables, each after the tables its foreign keys point to."""
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
    ) as cur:
        tables = [str(row[0]) for row in await cur.fetchall() if row[0] not in SKIPPED_TABLES]
    graph: dict[str, set[str]] = {}
    for table in tables:
        async with conn.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (table,)) as cur:
            # A table pointing at itself (areas → parent area) is fine inside one COPY: PostgreSQL
            # checks foreign keys at the end of the statement.
            graph[table] = {str(row[0]) for row in await cur.fetchall()} - {table}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the schema has no cycle today
        raise CopyError(f"the tables' foreign keys form a cycle: {error.args[1]}") from None


async def _columns(conn: aiosqlite.Connection, table: str) -> list[str]:
    async with conn.execute("SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,)) as cur:
        return [str(row[0]) for row in await cur.fetchall()]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _rows_on_target(pg: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cur = await pg.execute(f"SELECT COUNT(*) FROM {_quoted(table)}")
        row = await cur.fetchone()
        counts[table] = int(row[0])
    return counts


async def _check_target_empty(url: str) -> None:
    """Refuse a target with any row in any table of its schema (a fresh, or freshly migrated,
    database is empty)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as pg:
        cur = await pg.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        tables = [str(row[0]) for row in await cur.fetchall() if row[0] not in SKIPPED_TABLES]
        filled = {t: n for t, n in (await _rows_on_target(pg, tables)).items() if n}
    if filled:
        shown = ", ".join(f"{table} ({n})" for table, n in list(filled.items())[:5])
        raise CopyError(
            f"the target database is not empty: {shown}{' …' if len(filled) > 5 else ''}; "
            "copy into a new, empty database (createdb) so nothing there is mixed or lost"
        )


async def copy_sqlite_to_postgres(
    source: Path, target_url: str, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy the SQLite database at ``source`` into the empty PostgreSQL database ``target_url``."""
    import psycopg

    if not source.is_file():  # noqa: ASYNC240 - one stat, before anything runs
        raise CopyError(f"there is no SQLite database at {source}")
    lock = FileLock(source, LEADER)
    if not await lock.try_acquire():
        raise CopyError(f"a bot process is running on {source}: stop it first, then copy")
    try:
        return await _copy(source, target_url, progress)
    except psycopg.Error as error:  # the server cannot be reached, a permission is missing…
        lines = str(error).strip().splitlines()
        raise CopyError(
            f"the target database refused: {lines[0] if lines else type(error).__name__}"
        ) from None
    finally:
        await lock.release()


async def _copy(source: Path, target_url: str, progress: Callable[[str, int], None] | None) -> CopyReport:
    import psycopg

    from storage.postgres import PostgresDatabase

    started = time.perf_counter()
    # Bring the source up to the current migrations, as the bot itself would at start.
    async with Database(source):
        pass
    await _check_target_empty(target_url)
    async with PostgresDatabase(target_url, min_size=1, max_size=1):
        pass  # the target's schema: the same migrations
    report = CopyReport()
    async with (
        aiosqlite.connect(f"file:{source}?mode=ro", uri=True) as lite,
        await psycopg.AsyncConnection.connect(target_url) as pg,
    ):
        tables = await _tables_in_order(lite)
        async with pg.transaction():  # all or nothing
            for table in tables:
                report.counts[table] = await _copy_table(lite, pg, table)
                if progress is not None:
                    progress(table, report.counts[table])
            await _continue_numbering(pg, tables)
        on_target = await _rows_on_target(pg, tables)
    differing = {t: (n, on_target.get(t)) for t, n in report.counts.items() if on_target.get(t) != n}
    if differing:
        raise CopyError(f"counts differ after the copy (source, target): {differing}")
    report.seconds = time.perf_counter() - started
    return report


async def _copy_table(lite: aiosqlite.Connection, pg: Any, table: str) -> int:
    columns = await _columns(lite, table)
    names = ", ".join(_quoted(c) for c in columns)
    copied = 0
    async with (
        lite.execute(f"SELECT {names} FROM {_quoted(table)}") as rows,
        pg.cursor() as cur,
        cur.copy(f"COPY {_quoted(table)} ({names}) FROM STDIN") as copy,
    ):
        while batch := list(await rows.fetchmany(BATCH)):
            for row in batch:
                await copy.write_row(tuple(row))
            copied += len(batch)
    return copied


async def _continue_numbering(pg: Any, tables: list[str]) -> None:
    """Each identity column's next value after the largest id copied (ids are kept as they were)."""
    cur = await pg.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in await cur.fetchall():
        if table not in tables:
            continue
        top = await (await pg.execute(f"SELECT MAX({_quoted(column)}) FROM {_quoted(table)}")).fetchone()
        if top[0] is not None:
            await pg.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", (_quoted(table), column, int(top[0]))
            )
