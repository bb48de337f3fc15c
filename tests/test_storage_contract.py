"""The storage contract: what every backend must do, run on SQLite always and on PostgreSQL when a
server answers (TEST_POSTGRES_URL, default the local one; otherwise skipped, with the reason in
the summary). Each test gets an empty database: a SQLite file, or a PostgreSQL database of its
own that is dropped afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from storage.areas import AreaInput
from storage.events import ALL_AREAS, week_of
from storage.migrate import migration_files
from storage.outbox import StoredFile
from storage.sql import Dialect, IntegrityError
from storage.store import Repos, Store

pytest_plugins = ("tests.postgres",)

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Hà Nội


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with Store(database_url) as opened:
        yield opened


async def _person(tx: Repos, name: str, area_id: str | None = None) -> int:
    user = await tx.users.create(
        key=f"console:{name}", channel="console", chat_id=name, display_name=name, language="vi", now=NOW
    )
    if area_id is not None:
        await tx.users.set_area(user.id, area_id, NOW)
    return user.id


async def _areas(store: Store) -> None:
    async with store.write() as tx:
        await tx.areas.upsert_many(
            [
                AreaInput("vinh_yen", None, "Vĩnh Yên", "city"),
                AreaInput("lien_bao", "vinh_yen", "Liên Bảo", "ward"),
                AreaInput("lien_bao.tdp1", "lien_bao", "Tổ dân phố 1", "group"),
                AreaInput("hoi_hop", "vinh_yen", "Hội Hợp", "ward"),
            ]
        )


async def _schema(store: Store) -> dict[str, list[str]]:
    """Table name → column names in order, as the database itself reports them."""
    conn = store.read.conn
    if store.dialect == "sqlite":
        tables = await conn.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
        )
        schema = {}
        for (table,) in tables:
            columns = await conn.fetch_all(f"SELECT name FROM pragma_table_info('{table}') ORDER BY cid")
            schema[table] = [c[0] for c in columns]
        return schema
    rows = await conn.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    schema = {}
    for table, column in rows:
        schema.setdefault(table, []).append(column)
    return schema


class TestStorageContract:
    # -- migrations --------------------------------------------------------------------------
    async def test_migrations_apply_from_empty_once(self, database_url: str) -> None:
        async with Store(database_url) as store:
            rows = await store.read.conn.fetch_all(
                "SELECT version, name FROM schema_version ORDER BY version"
            )
        async with Store(database_url) as store:  # a second start applies nothing new
            again = await store.read.conn.fetch_all("SELECT COUNT(*) FROM schema_version")
        expected = [(v, n) for v, n, _ in migration_files(store.db.dialect)]
        assert [(r[0], r[1]) for r in rows] == expected
        assert again[0][0] == len(expected)

    async def test_both_dialects_list_the_same_migrations(self) -> None:
        def names(dialect: Dialect) -> list[tuple[int, str]]:
            return [(v, n) for v, n, _ in migration_files(dialect)]

        assert names("postgresql") == names("sqlite")

    async def test_schema_is_the_same_as_on_sqlite(self, store: Store, tmp_path: Path) -> None:
        async with Store(tmp_path / "reference.db") as reference:
            expected = await _schema(reference)
        assert await _schema(store) == expected

    # -- the connection protocol -------------------------------------------------------------
    async def test_rows_by_position_and_name(self, store: Store) -> None:
        await _areas(store)
        conn = store.read.conn
        row = await conn.fetch_one("SELECT id, name, sort FROM areas WHERE id = ?", ("lien_bao",))
        assert row is not None
        assert (row[0], row["name"], row["sort"]) == ("lien_bao", "Liên Bảo", 0)
        assert list(row) == ["lien_bao", "Liên Bảo", 0] and len(row) == 3
        assert await conn.fetch_one("SELECT id FROM areas WHERE id = ?", ("nowhere",)) is None
        assert await conn.fetch_all("SELECT id FROM areas WHERE id = ?", ("nowhere",)) == []

    async def test_placeholders_in_quotes_and_percent_signs_are_literal(self, store: Store) -> None:
        row = await store.read.conn.fetch_one(
            "SELECT '?' AS mark, '50%' AS share, 'it''s ?' AS quoted, ? AS given -- a comment? 100%",
            ("x",),
        )
        assert row is not None and list(row) == ["?", "50%", "it's ?", "x"]

    async def test_insert_returns_the_id_and_execute_the_row_count(self, store: Store) -> None:
        async with store.write() as tx:
            first = await tx.conn.insert(
                "INSERT INTO audit_log (at, actor, action) VALUES (?, ?, ?) RETURNING id", ("t", "a", "x")
            )
            second = await tx.conn.insert(
                "INSERT INTO audit_log (at, actor, action) VALUES (?, ?, ?) RETURNING id", ("t", "b", "x")
            )
            assert second > first
            await tx.conn.execute_many(
                "INSERT INTO audit_log (at, actor, action) VALUES (?, ?, ?)",
                [("t", f"many{i}", "y") for i in range(5)],
            )
            assert await tx.conn.execute("UPDATE audit_log SET detail = ? WHERE action = ?", ("d", "y")) == 5
            assert await tx.conn.execute("DELETE FROM audit_log WHERE actor = ?", ("nobody",)) == 0

    async def test_in_lists_of_text_and_numbers(self, store: Store) -> None:
        await _areas(store)
        conn = store.read.conn
        where, args = conn.in_list("id", ["hoi_hop", "lien_bao", "nowhere"])
        rows = await conn.fetch_all(f"SELECT id FROM areas WHERE {where} ORDER BY id", args)
        assert [r[0] for r in rows] == ["hoi_hop", "lien_bao"]
        where, args = conn.in_list("sort", [0])
        assert len(await conn.fetch_all(f"SELECT id FROM areas WHERE {where}", args)) == 4
        with pytest.raises(ValueError):
            conn.in_list("id", [])

    async def test_values_round_trip(self, store: Store) -> None:
        """Bytes, floats, NULL, Vietnamese text and UTC times come back as they went in."""
        data = bytes(range(256)) * 4
        async with store.write() as tx:
            attachment_id = await tx.outbox.add_attachment(StoredFile("ảnh.jpg", data, "image/jpeg"), NOW)
            await tx.questions.log_miss(
                "Gia đình học tập là gì?", "gia dinh hoc tap", None, 0.123456789, "vi", NOW
            )
        found = await store.read.outbox.attachment(attachment_id)
        assert found == StoredFile("ảnh.jpg", data, "image/jpeg")
        row = await store.read.conn.fetch_one("SELECT text, nearest, score, day FROM faq_misses")
        assert row is not None
        assert (row["text"], row["nearest"], row["score"], row["day"]) == (
            "Gia đình học tập là gì?",
            None,
            0.123456789,
            "2026-11-24",
        )

    async def test_constraint_violations_raise_integrity_error_and_roll_back(self, store: Store) -> None:
        with pytest.raises(IntegrityError):
            async with store.write() as tx:
                user_id = await _person(tx, "a")
                await tx.users.set_area(user_id, "no-such-area", NOW)  # foreign key
        assert await store.read.users.by_key("console:a") is None
        await _areas(store)
        with pytest.raises(IntegrityError):
            async with store.write() as tx:
                await tx.conn.execute(
                    "INSERT INTO areas (id, name, kind, path) VALUES (?, ?, ?, ?)", ("x", "X", "ward", "/x/")
                )
                await tx.conn.execute(  # the same path twice: unique
                    "INSERT INTO areas (id, name, kind, path) VALUES (?, ?, ?, ?)", ("y", "Y", "ward", "/x/")
                )
        assert await store.read.areas.get("x") is None

    async def test_the_reader_sees_only_committed_writes(self, store: Store) -> None:
        await _areas(store)
        async with store.write() as tx:
            await tx.areas.upsert_many([AreaInput("new", None, "Mới", "ward")])
            assert await tx.areas.get("new") is not None
            assert await store.read.areas.get("new") is None
        assert await store.read.areas.get("new") is not None

    async def test_for_update_needs_a_write_transaction(self, store: Store) -> None:
        with pytest.raises(ValueError):
            await store.read.conn.fetch_one("SELECT 1 FROM areas", for_update=True)
        async with store.write() as tx:
            assert await tx.conn.fetch_all("SELECT id FROM areas", for_update=True) == []

    async def test_for_update_of_one_table_beside_an_outer_join(self, store: Store) -> None:
        """PostgreSQL cannot lock the nullable side of an outer join: a table name locks only its rows."""
        await _areas(store)
        sql = (
            "SELECT a.id, p.name FROM areas a LEFT JOIN areas p ON p.id = a.parent_id"
            " WHERE a.id = ? ORDER BY a.id LIMIT 5"
        )
        async with store.write() as tx:
            rows = await tx.conn.fetch_all(sql, ("lien_bao",), for_update="a")
            assert [(r[0], r[1]) for r in rows] == [("lien_bao", "Vĩnh Yên")]
            if store.dialect == "postgresql":
                with pytest.raises(ValueError):
                    await tx.conn.fetch_all(sql, ("x",), for_update="a; DROP TABLE areas")

    async def test_concurrent_units_of_work_neither_lose_nor_leak_writes(self, store: Store) -> None:
        async with store.write() as tx:
            await tx.conn.execute("INSERT INTO report_state (id, tree_hash, rebuilt_at) VALUES (1, '0', 't')")

        async def increment() -> None:
            async with store.write() as tx:
                row = await tx.conn.fetch_one("SELECT tree_hash FROM report_state WHERE id = 1")
                assert row is not None
                await asyncio.sleep(0)  # every chance to interleave
                await tx.conn.execute("UPDATE report_state SET tree_hash = ?", (str(int(row[0]) + 1),))

        async def fail_after_write() -> None:
            async with store.write() as tx:
                await tx.conn.execute("UPDATE report_state SET tree_hash = '-1000'")
                await asyncio.sleep(0)
                raise RuntimeError("boom")

        tasks = [increment() for _ in range(50)] + [fail_after_write() for _ in range(10)]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert sum(isinstance(r, RuntimeError) for r in results) == 10
        assert [r for r in results if r is not None and not isinstance(r, RuntimeError)] == []
        assert await store.read.reports.built_for() == "50"

    # -- repositories --------------------------------------------------------------------------
    async def test_users_upsert_roles_and_area_scopes(self, store: Store) -> None:
        await _areas(store)
        async with store.write() as tx:
            lan = await _person(tx, "lan", "lien_bao.tdp1")
            again = await tx.users.create(
                key="console:lan", channel="console", chat_id="new", display_name="x", language="en", now=NOW
            )
            await _person(tx, "minh", "hoi_hop")
            await tx.users.grant(lan, "officer", "lien_bao", "cli", NOW)
            await tx.users.grant(lan, "officer", "hoi_hop", "cli", NOW)  # upsert: one role, new area
            await tx.users.set_reachable(lan, False, NOW)
        assert again.id == lan and again.chat_id == "new"
        user = await store.read.users.by_id(lan)
        assert user is not None and not user.reachable and user.roles[0].area_id == "hoi_hop"
        assert [u.display_name for u in await store.read.users.list("/vinh_yen/lien_bao/")] == ["lan"]
        assert await store.read.users.count("/vinh_yen/") == 2 and await store.read.users.count() == 2
        async with store.write() as tx:
            assert await tx.users.revoke(lan, "officer")
            assert not await tx.users.revoke(lan, "officer")

    async def test_area_tree(self, store: Store) -> None:
        await _areas(store)
        read = store.read.areas
        assert [a.id for a in await read.ancestors("lien_bao.tdp1")] == [
            "vinh_yen",
            "lien_bao",
            "lien_bao.tdp1",
        ]
        assert [a.id for a in await read.subtree("lien_bao")] == ["lien_bao", "lien_bao.tdp1"]
        assert [a.id for a in await read.children("vinh_yen")] == ["hoi_hop", "lien_bao"]
        assert [a.id for a in await read.children(None)] == ["vinh_yen"]

    async def test_sessions_sign_ups_and_reminders(self, store: Store) -> None:
        await _areas(store)
        starts = NOW + timedelta(days=2)
        async with store.write() as tx:
            lan, minh = await _person(tx, "lan"), await _person(tx, "minh")
            session_id = await tx.sessions.create(
                title="Tập huấn",
                starts_at=starts,
                duration_min=90,
                place="Nhà văn hoá",
                audience="family",
                area_id="lien_bao",
                capacity=1,
                description="",
                created_by="cli",
                now=NOW,
            )
            signups = tx.sessions.signups
            await signups.put(session_id, lan, "confirmed", NOW)
            await signups.put(session_id, minh, "waiting", NOW + timedelta(seconds=1))
            await signups.put(session_id, minh, "cancelled", NOW)
            reopened = await signups.put(session_id, minh, "waiting", NOW + timedelta(seconds=2))
            plan = [(1440, starts - timedelta(days=1)), (120, starts - timedelta(hours=2))]
            await tx.sessions.reminders.schedule(session_id, lan, plan, 0, NOW)
            await tx.sessions.reminders.schedule(session_id, minh, plan, 0, NOW)
            assert await tx.sessions.reminders.cancel_pending(session_id, minh, "no place", NOW) == 2
        assert reopened.seq == 2
        read = store.read.sessions
        paths = ["/vinh_yen/lien_bao/", "/vinh_yen/"]
        assert [s.id for s in await read.upcoming(paths, ("family", "all"), NOW)] == [session_id]
        assert await read.count_upcoming(paths, ("officer",), NOW) == 0
        assert (
            await read.count_in_scope(None, NOW) == 1
            and await read.count_in_scope("/vinh_yen/hoi_hop/", NOW) == 0
        )
        assert await read.signups.counts([session_id, 999]) == {session_id: (1, 1), 999: (0, 0)}
        assert await read.signups.statuses_for(minh, [session_id]) == {session_id: "waiting"}
        assert [a.display_name for a in await read.signups.attendees(session_id)] == ["lan", "minh"]
        assert await read.signups.waiting_position(session_id, minh) == 1

        due = starts - timedelta(days=1)
        assert await read.reminders.next_due() == due
        async with store.write() as tx:
            rows = await tx.sessions.reminders.due(starts - timedelta(hours=1))
            assert [(r.offset_min, r.superseded, r.enabled) for r in rows] == [
                (1440, True, True),
                (120, False, True),
            ]
            await tx.sessions.reminders.finish_many([(r.id, "queued", None) for r in rows], NOW)
            assert await tx.sessions.reminders.count_by_state() == {"queued": 2, "cancelled": 2}

    async def test_outbox_states(self, store: Store) -> None:
        async with store.write() as tx:
            lan, minh = await _person(tx, "lan"), await _person(tx, "minh")
            assert await tx.outbox.enqueue(lan, "news:1", "Xin chào 1", (), NOW, batch="b")
            assert not await tx.outbox.enqueue(lan, "news:1", "again", (), NOW, batch="b")  # never twice
            assert await tx.outbox.enqueue(minh, "news:1", "Xin chào 2", (), NOW, batch="b")
            assert await tx.outbox.enqueue(minh, "reminder:1", "r", (), NOW)
        due = await store.read.outbox.due(NOW)
        assert [(m.user_id, m.text) for m in due] == [
            (lan, "Xin chào 1"),
            (minh, "Xin chào 2"),
            (minh, "r"),
        ]
        first, second = due[0].id, due[1].id
        async with store.write() as tx:
            assert await tx.outbox.mark_sending(first) and not await tx.outbox.mark_sending(first)
            await tx.outbox.finish(first, "sent", NOW)
            assert await tx.outbox.mark_sending(second)
            await tx.outbox.retry_at(second, NOW + timedelta(seconds=5), "429", uncount_attempt=True)
            assert await tx.outbox.cancel("reminder:", user_id=lan) == 0
            assert await tx.outbox.cancel("reminder:") == 1
        sent = await store.read.outbox.get(lan, "news:1")
        waiting = await store.read.outbox.get(minh, "news:1")
        assert sent is not None and sent.state == "sent" and sent.sent_at == NOW and sent.attempts == 1
        assert waiting is not None and waiting.state == "pending" and waiting.attempts == 0
        assert waiting.sent_at is None and waiting.last_error == "429"
        assert await store.read.outbox.batch_counts("b") == {"sent": 1, "pending": 1}
        async with store.write() as tx:
            await tx.outbox.retry_at(second, NOW, "again", uncount_attempt=True)  # never below zero
            await tx.outbox.finish(second, "failed", NOW, "500")
        assert await store.read.outbox.batch_errors("b") == [("failed", "500", 1)]

    async def test_declarations_are_versioned(self, store: Store) -> None:
        await _areas(store)
        async with store.write() as tx:
            lan, officer = await _person(tx, "lan"), await _person(tx, "officer")
            fields = {"area_id": "lien_bao", "head_name": "Lan", "head_fold": "lan", "data": {"n": 1}}
            created = await tx.declarations.create(user_id=lan, year=2026, assessment=[], now=NOW, **fields)
            again = await tx.declarations.create(user_id=lan, year=2026, assessment=[], now=NOW, **fields)
            assert created is not None and again is None
            amended = await tx.declarations.amend(created.id, 1, assessment=[{"ok": True}], now=NOW, **fields)
            assert amended is not None and amended.version == 2
            assert await tx.declarations.amend(created.id, 1, assessment=[], now=NOW, **fields) is None
            reviewed = await tx.declarations.review(
                created.id, 2, status="approved", reviewer_id=officer, reason=None, now=NOW
            )
            assert reviewed is not None and reviewed.status == "approved"
            await tx.declarations.add_history(
                created.id, 2, "approved", actor_id=officer, actor_role="officer", now=NOW
            )
        assert await store.read.declarations.reviews_by(officer) == 1
        assert [h.action for h in await store.read.declarations.history(created.id)] == ["approved"]

    async def test_declaration_changes_in_a_period(self, store: Store) -> None:
        await _areas(store)
        later = NOW + timedelta(hours=5)
        async with store.write() as tx:
            lan = await _person(tx, "lan")
            fields = {"area_id": "lien_bao.tdp1", "head_name": "Lan", "head_fold": "lan", "data": {}}
            created = await tx.declarations.create(user_id=lan, year=2026, assessment=[], now=NOW, **fields)
            assert created is not None
            for version, action, at in ((1, "submitted", NOW), (1, "returned", NOW), (2, "amended", later)):
                await tx.declarations.add_history(
                    created.id, version, action, actor_id=lan, actor_role="family", now=at, data={}
                )
        found = await store.read.declarations.changes(NOW, later)
        assert [(c.version, c.action, c.area_path, c.head_name) for c in found] == [
            (1, "submitted", "/vinh_yen/lien_bao/lien_bao.tdp1/", "Lan")
        ]
        assert [c.action for c in await store.read.declarations.changes(NOW, later + timedelta(1))] == [
            "submitted",
            "amended",
        ]

    async def test_officers_over_an_area_nearest_first(self, store: Store) -> None:
        await _areas(store)
        async with store.write() as tx:
            city, ward, other = [await _person(tx, n) for n in ("city", "ward", "other")]
            await tx.users.grant(city, "officer", "vinh_yen", "cli", NOW)
            await tx.users.grant(ward, "officer", "lien_bao", "cli", NOW)
            await tx.users.grant(other, "officer", "hoi_hop", "cli", NOW)
        found = await store.read.users.officers_over("/vinh_yen/lien_bao/lien_bao.tdp1/")
        assert [(u.display_name, path) for u, path in found] == [
            ("ward", "/vinh_yen/lien_bao/"),
            ("city", "/vinh_yen/"),
        ]
        assert [u.display_name for u, _ in await store.read.users.officers_over("/vinh_yen/")] == ["city"]

    async def test_a_digest_period_is_claimed_once(self, store: Store) -> None:
        assert await store.read.digests.last("d") is None
        async with store.write() as tx:
            assert await tx.digests.claim("d", NOW, NOW)
            assert not await tx.digests.claim("d", NOW, NOW)
            assert await tx.digests.claim("d", NOW - timedelta(days=1), NOW)
            assert await tx.digests.claim("other", NOW + timedelta(days=1), NOW)
        assert await store.read.digests.last("d") == NOW

    async def test_events_roll_up_by_area_and_week(self, store: Store) -> None:
        await _areas(store)
        monday = week_of(NOW)
        async with store.write() as tx:
            await tx.events.record("user.registered", "lien_bao.tdp1", "telegram", NOW)
            await tx.events.record("user.registered", "hoi_hop", "zalo", NOW)
            await tx.events.record("user.registered", None, "zalo", NOW)
        counts = await store.read.reports.by_area([ALL_AREAS, "vinh_yen", "lien_bao"], monday, monday)
        assert sorted((c.key, c.n) for c in counts) == [("", 3), ("lien_bao", 1), ("vinh_yen", 2)]
        async with store.write() as tx:
            assert await tx.reports.rebuild(NOW) > 0
            assert await tx.reports.is_current()
        rebuilt = await store.read.reports.by_area([ALL_AREAS, "vinh_yen", "lien_bao"], monday, monday)
        assert set(rebuilt) == set(counts)
        by_channel = await store.read.reports.by_channel("vinh_yen", monday, monday)
        assert sorted((c.key, c.n) for c in by_channel) == [("telegram", 1), ("zalo", 1)]

    async def test_questions_and_misses(self, store: Store) -> None:
        await _areas(store)
        async with store.write() as tx:
            lan, officer = await _person(tx, "lan"), await _person(tx, "officer")
            await tx.users.grant(officer, "officer", "lien_bao", "cli", NOW)
            question = await tx.questions.ask(lan, "lien_bao.tdp1", "Khi nào họp?", "vi", NOW)
            for text in ("a?", "b?", "b?"):
                await tx.questions.log_miss(text, text[0], "topic", 0.5, "vi", NOW)
        assert await store.read.questions.officers_for("/vinh_yen/lien_bao/lien_bao.tdp1/") == [officer]
        assert [q.id for q in await store.read.questions.open_in("/vinh_yen/lien_bao/")] == [question.id]
        assert await store.read.questions.count_open(None) == 1
        async with store.write() as tx:
            assert await tx.questions.answer(question.id, officer, "Thứ bảy", NOW)
            assert not await tx.questions.answer(question.id, officer, "again", NOW)
        misses = await store.read.questions.frequent_misses(date(2026, 11, 1))
        assert [(m.folded, m.count) for m in misses] == [("b", 2), ("a", 1)]

    async def test_broadcast_audiences(self, store: Store) -> None:
        await _areas(store)
        async with store.write() as tx:
            lan = await _person(tx, "lan", "lien_bao.tdp1")
            minh = await _person(tx, "minh", "lien_bao")
            await _person(tx, "hoa", "hoi_hop")
            await tx.users.set_announcements(minh, False, NOW)
            await tx.declarations.create(
                user_id=lan,
                year=2026,
                area_id="lien_bao",
                head_name="Lan",
                head_fold="lan",
                data={},
                assessment=[],
                now=NOW,
            )
            broadcast = await tx.broadcasts.create(
                author_id=None,
                author_key="cli",
                area_id="lien_bao",
                audience="area",
                audience_param="",
                text="Thông báo",
                attachment_id=None,
                scheduled_at=NOW,
                now=NOW,
            )
            assert await tx.broadcasts.mark_fanned_out(broadcast.id, 1, NOW)
            assert not await tx.broadcasts.mark_fanned_out(broadcast.id, 1, NOW)
        audience = store.read.broadcasts.area_audience
        assert [u.id for u in await audience("/vinh_yen/lien_bao/")] == [lan]
        assert [u.id for u in await audience("/vinh_yen/lien_bao/", announcements_only=False)] == [lan, minh]
        assert [u.id for u in await audience(None, "not_declared", "2026")] != []
        assert [u.id for u in await audience("/vinh_yen/", "declared", "2026")] == [lan]
        assert [b.id for b in await store.read.broadcasts.recent(area_path="/vinh_yen/")] == [broadcast.id]

    async def test_a_scheduled_broadcast_changes_until_it_goes_out(self, store: Store) -> None:
        await _areas(store)
        later = NOW + timedelta(days=2)
        async with store.write() as tx:
            made = [
                await tx.broadcasts.create(
                    author_id=None,
                    author_key="cli",
                    area_id=area,
                    audience="area",
                    audience_param="",
                    text="Họp",
                    attachment_id=None,
                    scheduled_at=later,
                    now=NOW,
                )
                for area in ("lien_bao.tdp1", "hoi_hop", "lien_bao")
            ]
            assert await tx.broadcasts.reschedule(made[2].id, NOW + timedelta(days=1))
            assert await tx.broadcasts.set_text(made[2].id, "Họp lúc 19h")
            assert await tx.broadcasts.cancel(made[1].id)
            assert not await tx.broadcasts.reschedule(made[1].id, later)
            assert not await tx.broadcasts.set_text(made[1].id, "x")
        scheduled = store.read.broadcasts.scheduled
        assert [b.id for b in await scheduled("/vinh_yen/lien_bao/")] == [made[2].id, made[0].id]
        assert [b.id for b in await scheduled()] == [made[2].id, made[0].id]
        changed = await store.read.broadcasts.get(made[2].id)
        assert changed is not None and changed.text == "Họp lúc 19h"
        assert changed.scheduled_at == NOW + timedelta(days=1)

    async def test_an_invite_is_claimed_once(self, store: Store) -> None:
        async with store.write() as tx:
            await tx.invites.create("code1", "admin", None, "cli", NOW, NOW + timedelta(days=1))
            a, b = await _person(tx, "a"), await _person(tx, "b")

        async def claim(user_id: int) -> bool:
            async with store.write() as tx:
                return await tx.invites.claim("code1", user_id, NOW) is not None

        assert sorted(await asyncio.gather(claim(a), claim(b))) == [False, True]
        assert await store.read.invites.list_open(NOW) == []

    async def test_invite_codes_before_consent_keep_no_key_and_lapse(self, store: Store) -> None:
        pending = store.read.pending_invites
        async with store.write() as tx:
            await tx.pending_invites.keep("zalo:123", "code1", NOW, NOW + timedelta(days=1))
            await tx.pending_invites.keep("zalo:123", "code2", NOW, NOW + timedelta(days=1))  # replaces
            await tx.pending_invites.keep("zalo:456", "code3", NOW, NOW + timedelta(hours=1))
        assert await pending.code_for("zalo:123", NOW) == "code2"
        assert await pending.code_for("zalo:456", NOW + timedelta(hours=2)) is None  # lapsed
        rows = await store.read.conn.fetch_all("SELECT key_hash, code, expires_at FROM pending_invites")
        assert len(rows) == 2 and all("123" not in r[0] and "456" not in r[0] for r in rows)
        later = NOW + timedelta(hours=2)
        async with store.write() as tx:  # keeping another deletes the lapsed ones
            await tx.pending_invites.keep("zalo:789", "code4", later, later + timedelta(days=1))
        assert len(await store.read.conn.fetch_all("SELECT code FROM pending_invites")) == 2
        async with store.write() as tx:
            await tx.pending_invites.forget("zalo:123", later)
        assert await pending.code_for("zalo:123", later) is None
        assert await pending.code_for("zalo:789", later) == "code4"

    async def test_conversation_state_and_audit(self, store: Store) -> None:
        from storage.conversations import ConversationState

        async with store.write() as tx:
            lan = await _person(tx, "lan")
            state = ConversationState("declaration", "members", {"tên": "Lan"}, [("Có", "yes")])
            await tx.conversations.save(lan, state, NOW)
            state.step = "done"
            await tx.conversations.save(lan, state, NOW)
            await tx.audit.record("console:lan", "role.granted", "console:lan", NOW)
            await tx.audit.pseudonymize("console:lan", "deleted-1")
        loaded = await store.read.conversations.load(lan)
        assert (loaded.step, loaded.draft, loaded.menu) == ("done", {"tên": "Lan"}, [("Có", "yes")])
        assert [(e.actor, e.subject, e.at) for e in await store.read.audit.recent()] == [
            ("deleted-1", "deleted-1", NOW)
        ]


async def test_the_weeks_of_events_stored_before_0005_are_filled(database_url: str) -> None:
    """Migration 0005 computes the local week of older events on both backends (UTC+7)."""
    moments = [
        datetime(2026, 11, 22, 16, 59, 59, tzinfo=UTC),  # Sunday 23:59:59 in Hà Nội
        datetime(2026, 11, 22, 17, 0, tzinfo=UTC),  # Monday 00:00
        datetime(2025, 12, 31, 23, 59, tzinfo=UTC),  # the next local day, a new year
    ]
    stamps = [m.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for m in moments]
    if database_url.startswith("sqlite"):
        import aiosqlite

        from storage.migrate import apply_sqlite_migrations

        async with aiosqlite.connect(database_url.removeprefix("sqlite:///"), isolation_level=None) as conn:
            await apply_sqlite_migrations(conn, until=4)
            await conn.executemany(
                "INSERT INTO events (kind, occurred_at) VALUES ('x', ?)", [(s,) for s in stamps]
            )
    else:
        import psycopg

        from storage.migrate import apply_postgres_migrations

        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as pg:
            await apply_postgres_migrations(pg, until=4)
            async with pg.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO events (kind, occurred_at) VALUES ('x', %s)", [(s,) for s in stamps]
                )
    async with Store(database_url) as store:
        rows = await store.read.conn.fetch_all("SELECT local_week FROM events ORDER BY id")
    assert [r[0] for r in rows] == [week_of(m).isoformat() for m in moments]
    assert [r[0] for r in rows] == ["2026-11-16", "2026-11-23", "2025-12-29"]


async def test_row_locks_keep_overlapping_postgres_transactions_correct(postgres_url: str) -> None:
    """PostgreSQL with write transactions allowed to overlap (no in-process writer lock): a
    read-modify-write that reads FOR UPDATE still loses nothing. The basis of issue 13, part 3."""
    from storage.postgres import PostgresDatabase

    database = PostgresDatabase(postgres_url, max_size=8, one_writer=False)
    async with database:
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO report_state (id, tree_hash, rebuilt_at) VALUES (1, '0', 't')")

        async def increment() -> None:
            async with database.transaction() as tx:
                row = await tx.fetch_one("SELECT tree_hash FROM report_state WHERE id = 1", for_update=True)
                assert row is not None
                await asyncio.sleep(0.001)  # the others are waiting on the lock meanwhile
                await tx.execute("UPDATE report_state SET tree_hash = ?", (str(int(row[0]) + 1),))

        await asyncio.gather(*(increment() for _ in range(40)))
        row = await database.reader.fetch_one("SELECT tree_hash FROM report_state")
    assert row is not None and row[0] == "40"


async def test_processes_starting_at_once_apply_the_migrations_once(postgres_url: str) -> None:
    """Two processes starting together on an empty database: the advisory lock lets one apply
    the migrations while the other waits, then finds them applied (no duplicate CREATE TABLE)."""
    stores = [Store(postgres_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        rows = await stores[0].read.conn.fetch_all("SELECT version FROM schema_version ORDER BY version")
        assert [r[0] for r in rows] == [v for v, _, _ in migration_files("postgresql")]
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_a_session_lock_is_held_by_one_process_at_a_time(database_url: str) -> None:
    """The leader lease and the polling locks: two processes (two stores) on one database."""
    async with Store(database_url) as one, Store(database_url) as two:
        first, second = one.db.session_lock("leader"), two.db.session_lock("leader")
        other = two.db.session_lock("poll-telegram-0123456789abcdef")
        try:
            assert await first.try_acquire() and await first.try_acquire()  # again: still ours
            assert await first.held()
            assert not await second.try_acquire() and not await second.held()
            assert await other.try_acquire()  # another name is another lock
            await first.release()
            assert not await first.held()
            assert await second.try_acquire() and await second.held()
            assert not await first.try_acquire()
        finally:
            for lock in (first, second, other):
                await lock.release()


async def test_a_lock_whose_session_ends_is_lost_and_taken_over(postgres_url: str) -> None:
    """What a leader's death looks like to PostgreSQL: its session ends, the lock goes with it."""
    import psycopg

    async with Store(postgres_url) as one, Store(postgres_url) as two:
        leader, follower = one.db.session_lock("leader"), two.db.session_lock("leader")
        try:
            assert await leader.try_acquire() and not await follower.try_acquire()
            async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND granted AND database = ("
                    "   SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            # pg_terminate_backend only asks: the session ends (and frees the lock) a moment later.
            async with asyncio.timeout(15):
                while not await follower.try_acquire():  # noqa: ASYNC110 - the server decides, no event
                    await asyncio.sleep(0.05)
            assert not await leader.held()  # noticed at its next check
            assert not await leader.try_acquire()  # a new session, but the lock is taken now
        finally:
            await leader.release()
            await follower.release()
