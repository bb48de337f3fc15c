"""Deletion deletes (issue 17 item 3): the one list of where personal data lives
(``storage.personal``), checked against the schema of both backends, and a person who used every
feature deleted and then looked for in every column of every table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot import accounts
from bot.bootstrap import Runtime, open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.demo import seed_demo
from bot.model import Incoming
from handlers.broadcast import service as broadcasts
from handlers.privacy.commands import RULE_LABELS
from handlers.training import service as training
from storage.inbox import NewUpdate, handling
from storage.personal import NOT_PERSONAL, REDACTED, RULES, covered
from storage.store import Store
from tests.helpers import Transcript, announce_now
from tests.test_declaration_flow import declare_small
from tests.test_faq_handoff import UNSURE

pytest_plugins = ("tests.postgres",)

# Distinctive enough that finding any of them anywhere after the deletion means it was left behind.
ID = "zq77xk"
KEY = f"console:{ID}"
NAME = "Zyxwvutsr Personname"
HEAD = "Qwertyuiop Headname"
QUESTION = "Câu hỏi riêng Xylophone123 gửi cán bộ"
MISS = "plumbus999 grumbo flarp"
NEEDLES = (ID, "Zyxwvutsr", "Qwertyuiop", "Xylophone123", "plumbus999")


def _worth_classifying(column: str, kind: str) -> bool:
    """Columns that could hold a person's name, words, key or id: every text or binary column,
    and every column that names a row of another table (``…_id``, ``…_by``)."""
    kind = kind.lower()
    textual = any(t in kind for t in ("text", "char", "blob", "bytea", "json"))
    return textual or column.endswith(("_id", "_by")) or column in ("key", "person")


async def _columns(store: Store) -> dict[str, dict[str, str]]:
    """Table → column → declared type, as the database reports them."""
    conn = store.read.conn
    found: dict[str, dict[str, str]] = {}
    if store.dialect == "sqlite":
        tables = await conn.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        )
        for (table,) in tables:
            for row in await conn.fetch_all(f"SELECT name, type FROM pragma_table_info('{table}')"):
                found.setdefault(table, {})[row[0]] = row[1]
        return found
    rows = await conn.fetch_all(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    for table, column, kind in rows:
        found.setdefault(table, {})[column] = kind
    return found


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    async with Store(database_url) as opened:
        yield opened


async def test_every_column_that_could_hold_personal_data_is_in_the_list(store: Store) -> None:
    schema = await _columns(store)
    listed = covered()
    missing = [
        f"{table}.{column} ({kind})"
        for table, columns in sorted(schema.items())
        for column, kind in columns.items()
        if _worth_classifying(column, kind)
        and column not in listed.get(table, set())
        and column not in NOT_PERSONAL.get(table, {})
    ]
    assert not missing, (
        "columns that may hold personal data are neither in storage.personal.RULES (with what "
        f"deletion does) nor in NOT_PERSONAL (with why not): {missing}"
    )
    stale = [
        f"{table}.{column}"
        for table, columns in [*listed.items(), *((t, set(c)) for t, c in NOT_PERSONAL.items())]
        for column in columns
        if column not in schema.get(table, {})
    ]
    assert not stale, f"storage.personal names columns the schema does not have: {stale}"
    # Each rule's statement runs on this backend (on an empty database: nothing to change).
    async with store.write() as tx:
        assert await tx.personal.erase(1, "console:nobody") == {}
        assert await tx.personal.inventory(1, "console:nobody") == {}


def test_every_rule_is_shown_in_my_data() -> None:
    """/dulieu names each place the list covers, so what people see and what is deleted agree."""
    assert {r.name for r in RULES} <= set(RULE_LABELS)


# -- a person who used everything, deleted, then looked for everywhere --------------------------
@pytest.fixture(params=("sqlite", "postgresql"))
async def app_on(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[Runtime]:
    settings = Settings(database_path=tmp_path / "test.db", admin_ids=frozenset({"console:boss"}))
    if request.param == "postgresql":
        settings = dataclasses.replace(settings, postgres_url=request.getfixturevalue("postgres_url"))
    async with open_runtime(settings, clock) as built:
        await seed_demo(built.services)
        yield built


async def _use_everything(app: Runtime) -> Transcript:
    services = app.services
    store = services.store.read
    person = Transcript(app.router, ID)
    # Everything this person sends carries their distinctive name.
    person.send = lambda text: _named(app, person, text)  # type: ignore[method-assign]
    person.press = lambda payload: _named(app, person, None, payload)  # type: ignore[method-assign]
    await person.onboard()
    user = await store.users.by_key(KEY)
    assert user is not None and user.display_name == NAME
    # A declaration, a sign-up with reminders, reminders off and on, a question to the officer,
    # a question the knowledge base could not answer.
    await declare_small(person, head=HEAD, note="ghi chú Xylophone123")
    [session] = await store.sessions.upcoming(
        [a.path for a in await store.areas.all()], ("family", "all"), services.clock.now()
    )
    await training.sign_up(services, user, session.id)
    await person.send("/nhacnho")
    await person.send("/hoicanbo")
    assert "Tôi đã gửi câu hỏi" in await person.send(QUESTION)
    await person.send(MISS)
    await person.send(UNSURE)
    # An announcement received and delivered.
    await announce_now(services, "lien_bao", "Thông báo họp phụ huynh")
    # The officer looks at the declarations: the head's name is on their screen.
    officer = Transcript(app.router, "officer")
    listing = await officer.send("/duyet")
    assert HEAD in listing
    # The person becomes an officer of their ward and an admin, and authors things.
    await accounts.grant_role(services, KEY, "officer", "lien_bao", by="console:admin")
    await accounts.grant_role(services, KEY, "admin", None, by="console:admin")
    await accounts.create_invite(services, "officer", "lien_bao", by=KEY)
    other = Transcript(app.router, "other")
    await other.onboard()
    await accounts.grant_role(services, "console:other", "officer", "lien_bao.tdp1", by=KEY)
    await declare_small(other, head="Lê Văn Khác")
    other_user = await store.users.by_key("console:other")
    assert other_user is not None
    created = await training.create_session(
        services,
        training.SessionInput(
            title="Tập huấn do người sẽ xóa tạo",
            starts_at=services.clock.now() + timedelta(days=3),
            duration_min=90,
            place="Nhà văn hóa",
            audience="all",
            area_id="lien_bao",
            capacity=30,
            description="",
            reminder_offsets=(1440,),
        ),
        by=KEY,
    )
    await training.sign_up(services, other_user, created.id)
    [signup] = await store.sessions.signups.attendees(created.id)
    await training.mark_attendance(services, signup.signup_id, True, by=KEY)
    declaration = await store.declarations.for_user(other_user.id, 2026)
    assert declaration is not None
    await person.press(f"rev:a:{declaration.id}:1")  # reviews another family's declaration
    me = await app.router.load_person(Incoming("console", ID, ID, display_name=NAME))
    await broadcasts.create(services, me, broadcasts.Audience("area", "lien_bao"), "Họp tổ dân phố tối nay")
    # The question's notice reached the officer; the declaration's notices wait in the outbox.
    async with services.store.write() as tx:
        for row in await tx.outbox.rows("faq-question:"):
            await tx.outbox.finish(row.id, "sent", services.clock.now())
    return person


async def _named(app: Runtime, person: Transcript, text: str | None, payload: str | None = None) -> str:
    from bot.channels.base import plain_text

    msg = Incoming("console", ID, ID, text=text, payload=payload, display_name=NAME)
    person.replies = await app.router.replies_for(msg)
    return "\n".join(plain_text(r) for r in person.replies)


def _label_shown(label: str) -> str:
    """The start of a rule's line in /dulieu, in Vietnamese, before its count."""
    from bot import i18n

    with i18n.use("vi"):
        return i18n._(label).split("{")[0].strip()


async def _scan(store: Store) -> list[str]:
    """Every value of every column of every table that holds one of the needles."""
    schema = await _columns(store)
    found = []
    for table, columns in sorted(schema.items()):
        for row in await store.read.conn.fetch_all(f"SELECT * FROM {table}"):
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, bytes | memoryview):
                    text = bytes(value).decode("utf-8", "ignore")
                else:
                    text = str(value)
                lowered = text.lower()
                for needle in NEEDLES:
                    if needle.lower() in lowered:
                        found.append(f"{table}.{column} holds {needle!r}: {text[:120]!r}")
    return found


async def test_deletion_leaves_nothing_of_the_person_in_any_table(app_on: Runtime) -> None:
    app = app_on
    store = app.services.store
    person = await _use_everything(app)
    user = await store.read.users.by_key(KEY)
    assert user is not None
    before = await _scan(store)
    for table in ("users", "declarations", "faq_questions", "faq_misses", "outbox", "conversations"):
        assert any(line.startswith(f"{table}.") for line in before), f"the scenario stored nothing in {table}"
    # /dulieu shows where the data is, by the same list that deletion applies.
    shown = await person.send("/dulieu")
    inventory = await store.read.personal.inventory(user.id, KEY)
    assert {"profile", "declarations", "questions", "misses", "outbox_about", "broadcasts"} <= set(inventory)
    for rule_name in inventory:
        assert _label_shown(RULE_LABELS[rule_name]) in shown, rule_name
    # Updates stored in the inbox: one handled earlier (ids only), the deletion's own.
    now = app.services.clock.now()
    async with store.write() as tx:
        await tx.inbox.add("console", [NewUpdate("u1", KEY, '{"text": "Zyxwvutsr xin chào"}')], now)
        await tx.inbox.add("console", [NewUpdate("u2", KEY, '{"text": "co", "name": "Zyxwvutsr"}')], now)
    first, second = await store.read.inbox.rows("console")
    async with store.write() as tx:
        await tx.inbox.mark_handled(first.id, now)
    await person.send("/xoadulieu")
    with handling(second.id, now):
        answer = await person.send("co")
    assert "đã được xóa" in answer
    assert await store.read.users.by_key(KEY) is None
    left = await _scan(store)
    assert not left, "\n".join(left)
    # What stays is anonymous or pseudonymous: the counts, the acts under a pseudonym, the
    # notices to officers redacted in our copy.
    alias = f"deleted-user#{user.id}"
    kept = await store.read.broadcasts.recent(5)
    assert any(b.author_key == alias for b in kept)
    about = await store.read.conn.fetch_all("SELECT text, state FROM outbox WHERE text = ?", (REDACTED,))
    assert about, "the notices about the person to the officers were not redacted"
    assert await store.read.events.count("declaration.submitted") >= 2
