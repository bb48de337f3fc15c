"""Where a person's data lives, and what deleting it does: the one list.

Every column that can hold a person's id, key (``telegram:12345``), name or words is covered by a
rule below, which says which rows are the person's (``where``) and what ``/xoadulieu`` does to
them: delete the row, pseudonymise the key (``deleted-user#<id>``), forget the id (NULL), or
redact the text (``[đã xóa]``). ``NOT_PERSONAL`` names, table by table, the columns that hold
none. ``tests/test_personal_data.py`` reads the schema of both backends and fails when a column
is in neither, so a new column is classified when it is added.

``PersonalRepo.erase`` applies every rule in one transaction (the caller's); ``inventory`` counts
the rows each rule would touch, which ``/dulieu`` shows, so what people are shown and what is
deleted come from the same list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from storage.inbox import current_row
from storage.sql import Connection

REDACTED = "[đã xóa]"

Holds = Literal["id", "key", "name", "text"]
Action = Literal["delete", "pseudonymise", "forget", "redact"]
Whose = Literal["own", "about", "authored"]


def pseudonym(user_id: int) -> str:
    """What stands for a deleted person where a record of an act must stay (the audit log, an
    officer's announcements and sessions)."""
    return f"deleted-user#{user_id}"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str  # names the rule in /dulieu's counts and in the tests
    table: str
    columns: tuple[str, ...]  # the columns whose personal data this rule removes
    holds: tuple[Holds, ...]  # what of the person they hold
    whose: Whose  # the person's own rows, rows of others about them, or their authorship
    action: Action
    where: str  # which rows: SQL with :id, :key (and :row, the inbox row being handled)
    set: str = ""  # for updates: SQL with :alias, :redacted

    def sql(self) -> str:
        if self.action == "delete":
            return f"DELETE FROM {self.table} WHERE {self.where}"
        return f"UPDATE {self.table} SET {self.set} WHERE {self.where}"


# In the order they are applied: rows that point at others before those they point at.
RULES: tuple[Rule, ...] = (
    # -- messages -----------------------------------------------------------------------------
    Rule(
        "outbox_about",
        "outbox",
        ("text", "buttons", "about_id"),
        ("name", "text", "id"),
        "about",
        "redact",
        "about_id = :id",
        "text = :redacted, buttons = '[]', about_id = NULL,"
        " state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END",
    ),
    Rule(
        "outbox",
        "outbox",
        ("user_id", "text", "buttons"),
        ("id", "name", "text"),
        "own",
        "delete",
        "user_id = :id",
    ),
    Rule(
        "inbox",
        "inbox",
        ("person", "payload"),
        ("key", "name", "text"),
        "own",
        "pseudonymise",
        # What is still waiting (sent after this deletion began) is a new conversation: it is
        # handled as a stranger's, and loses its payload then.
        "person = :key AND (handled_at IS NOT NULL OR id = :row)",
        "person = :alias, payload = NULL",
    ),
    # -- questions ------------------------------------------------------------------------------
    Rule(
        "misses",
        "faq_misses",
        ("user_id", "text", "folded"),
        ("id", "text"),
        "own",
        "delete",
        "user_id = :id",
    ),
    Rule(
        "questions",
        "faq_questions",
        ("user_id", "text", "answer"),
        ("id", "text"),
        "own",
        "delete",
        "user_id = :id",
    ),
    Rule(
        "answers_given",
        "faq_questions",
        ("answered_by",),
        ("id",),
        "authored",
        "forget",
        "answered_by = :id",
        "answered_by = NULL",
    ),
    # -- declarations ---------------------------------------------------------------------------
    Rule(
        "declaration_history",
        "declaration_history",
        ("data", "reason", "actor_id"),
        ("name", "text", "id"),
        "own",
        "delete",
        "declaration_id IN (SELECT d.id FROM declarations d WHERE d.user_id = :id)",
    ),
    Rule(
        "declaration_acts",
        "declaration_history",
        ("actor_id",),
        ("id",),
        "authored",
        "forget",
        "actor_id = :id",
        "actor_id = NULL",
    ),
    Rule(
        "declarations",
        "declarations",
        ("user_id", "head_name", "head_fold", "data", "assessment", "review_reason"),
        ("id", "name", "text"),
        "own",
        "delete",
        "user_id = :id",
    ),
    Rule(
        "reviews",
        "declarations",
        ("reviewed_by",),
        ("id",),
        "authored",
        "forget",
        "reviewed_by = :id",
        "reviewed_by = NULL",
    ),
    # -- training -------------------------------------------------------------------------------
    Rule("reminders", "training_reminders", ("user_id",), ("id",), "own", "delete", "user_id = :id"),
    Rule(
        "reminder_prefs", "training_reminder_prefs", ("user_id",), ("id",), "own", "delete", "user_id = :id"
    ),
    Rule("signups", "training_signups", ("user_id",), ("id",), "own", "delete", "user_id = :id"),
    Rule(
        "attendance_marked",
        "training_signups",
        ("attendance_by",),
        ("key",),
        "authored",
        "pseudonymise",
        "attendance_by = :key",
        "attendance_by = :alias",
    ),
    Rule(
        "sessions_created",
        "training_sessions",
        ("created_by",),
        ("key",),
        "authored",
        "pseudonymise",
        "created_by = :key",
        "created_by = :alias",
    ),
    # -- announcements, invites, roles ---------------------------------------------------------
    Rule(
        "broadcasts",
        "broadcasts",
        ("author_key", "author_id"),
        ("key", "id"),
        "authored",
        "pseudonymise",
        "author_key = :key OR author_id = :id",
        "author_key = :alias, author_id = NULL",
    ),
    Rule(
        "invites_created",
        "invites",
        ("created_by",),
        ("key",),
        "authored",
        "pseudonymise",
        "created_by = :key",
        "created_by = :alias",
    ),
    Rule("invite_used", "invites", ("used_by",), ("id",), "own", "forget", "used_by = :id", "used_by = NULL"),
    Rule(
        "roles_granted",
        "roles",
        ("granted_by",),
        ("key",),
        "authored",
        "pseudonymise",
        "granted_by = :key",
        "granted_by = :alias",
    ),
    Rule("roles", "roles", ("user_id",), ("id",), "own", "delete", "user_id = :id"),
    # -- the conversation, the audit log, the profile ------------------------------------------
    Rule(
        "conversation",
        "conversations",
        ("user_id", "draft", "menu"),
        ("id", "name", "text"),
        "own",
        "delete",
        "user_id = :id",
    ),
    Rule(
        "audit_actor",
        "audit_log",
        ("actor",),
        ("key",),
        "own",
        "pseudonymise",
        "actor = :key",
        "actor = :alias",
    ),
    Rule(
        "audit_subject",
        "audit_log",
        ("subject",),
        ("key",),
        "about",
        "pseudonymise",
        "subject = :key",
        "subject = :alias",
    ),
    Rule(
        "profile",
        "users",
        ("id", "key", "chat_id", "display_name"),
        ("id", "key", "name"),
        "own",
        "delete",
        "id = :id",
    ),
)

# Other people's screens that show the person's name (an officer's list of sign-ups or of
# declarations, as buttons): their saved menu is dropped, so the name goes and the next message
# they type is read without it. A rule of its own kind: it matches names, not ids.
SCREENS = Rule(
    "screens",
    "conversations",
    ("menu",),
    ("name",),
    "about",
    "redact",
    "user_id != :id AND menu LIKE :pattern ESCAPE '!'",
    "menu = '[]'",
)

# Columns that hold no personal data, table by table, each with the reason.
NOT_PERSONAL: Mapping[str, Mapping[str, str]] = {
    "areas": dict.fromkeys(
        ("id", "parent_id", "name", "kind", "path"), "the tree of places, from a data file"
    ),
    "users": {
        "channel": "the platform's name",
        "language": "a choice of two",
        "area_id": "an area of the tree",
        "consent_at": "a time",
        "created_at": "a time",
        "updated_at": "a time",
    },
    "roles": {"role": "officer or admin", "area_id": "an area", "granted_at": "a time"},
    "pending_invites": {
        "key_hash": "a one-way digest of a guest's channel key (never the key), kept at most a day and"
        " deleted when they answer the consent notice: before they have data to delete",
        "code": "a random invite code",
        "expires_at": "a time",
    },
    "invites": {
        "code": "a random code",
        "role": "officer or admin",
        "area_id": "an area",
        "created_at": "a time",
        "expires_at": "a time",
        "used_at": "a time",
    },
    "conversations": {"flow": "a form's name", "step": "a step's name", "updated_at": "a time"},
    "audit_log": {"at": "a time", "action": "what was done", "detail": "figures, areas, titles; never a key"},
    "events": dict.fromkeys(("kind", "area_id", "channel", "occurred_at", "local_week"), "anonymous counts"),
    "event_weeks": dict.fromkeys(("area_id", "week", "kind", "channel"), "anonymous counts"),
    "report_state": {"tree_hash": "a digest of the area tree", "rebuilt_at": "a time"},
    "training_sessions": {
        "title": "an officer's public announcement of a session",
        "starts_at": "a time",
        "place": "a public place",
        "audience": "who may come",
        "area_id": "an area",
        "description": "an officer's public announcement",
        "status": "a state",
        "created_at": "a time",
        "reminder_offsets": "minutes",
        "ext_ref": "an import's id",
        "updated_at": "a time",
        "cancelled_at": "a time",
    },
    "attachments": {
        "filename": "an announcement's picture or a report's file name",
        "mime_type": "a file type",
        "data": "an announcement's picture or anonymous figures",
        "created_at": "a time",
    },
    "outbox": {
        "attachment_id": "a stored file",
        "purpose": "a kind and row ids",
        "batch": "an announcement's id",
        "kind": "notice, announcement, reminder",
        "attachment_kind": "photo or document",
        "state": "a state",
        "next_attempt_at": "a time",
        "last_error": "the platform's error",
        "created_at": "a time",
        "sent_at": "a time",
    },
    "faq_questions": {
        "area_id": "an area",
        "language": "a language",
        "asked_at": "a time",
        "answered_at": "a time",
    },
    "faq_misses": {"nearest": "a topic id", "language": "a language", "day": "a day"},
    "training_signups": {
        "session_id": "a session",
        "status": "a state",
        "queued_at": "a time",
        "attendance_at": "a time",
        "created_at": "a time",
        "updated_at": "a time",
    },
    "training_reminder_prefs": {"updated_at": "a time"},
    "training_reminders": {
        "session_id": "a session",
        "state": "a state",
        "reason": "why it was skipped",
        "due_at": "a time",
        "done_at": "a time",
    },
    "declarations": {
        "area_id": "an area",
        "status": "a state",
        "reviewed_at": "a time",
        "created_at": "a time",
        "updated_at": "a time",
    },
    "declaration_history": {
        "declaration_id": "a declaration (deleted with it)",
        "action": "what was done",
        "actor_role": "family, officer, admin",
        "at": "a time",
    },
    "broadcasts": {
        "area_id": "an area",
        "attachment_id": "its picture",
        "audience": "who it is for",
        "audience_param": "a year or a session id",
        "text": "an officer's announcement to an area: public, kept when its author leaves",
        "state": "a state",
        "scheduled_at": "a time",
        "created_at": "a time",
        "fanned_out_at": "a time",
        "finished_at": "a time",
    },
    "inbox": {
        "platform": "the platform's name",
        "platform_id": "the platform's update id",
        "received_at": "a time",
        "handled_at": "a time",
    },
    "digests": {"name": "the digest's name", "period_end": "a time", "done_at": "a time"},
    "schema_version": {"name": "a migration's file name", "applied_at": "a time"},
}


def covered() -> dict[str, set[str]]:
    """Every column the rules cover, by table."""
    found: dict[str, set[str]] = {}
    for rule in (*RULES, SCREENS):
        found.setdefault(rule.table, set()).update(rule.columns)
    return found


_PARAM = re.compile(r":(id|key|alias|redacted|row|pattern)\b")


def _bind(sql: str, values: Mapping[str, object]) -> tuple[str, list[object]]:
    """``:name`` placeholders as ``?`` with their values in order."""
    args: list[object] = []

    def one(match: re.Match[str]) -> str:
        args.append(values[match.group(1)])
        return "?"

    return _PARAM.sub(one, sql), args


def name_pattern(name: str) -> str | None:
    """A LIKE pattern (escape character ``!``) that finds a name in a saved menu (JSON), or None for
    a name too short to look for without hitting everyone's."""
    needle = json.dumps(name.strip()[:20], ensure_ascii=False)[1:-1]
    if len(needle) < 3:
        return None
    escaped = needle.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


class PersonalRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _values(self, user_id: int, key: str) -> dict[str, object]:
        row = current_row()
        return {
            "id": user_id,
            "key": key,
            "alias": pseudonym(user_id),
            "redacted": REDACTED,
            "row": row if row is not None else -1,
        }

    async def names(self, user_id: int) -> list[str]:
        """The names that stand for the person on other people's screens: theirs as the platform
        shows it, and the head of household they declared."""
        found = await self.conn.fetch_all(
            "SELECT display_name FROM users WHERE id = ?"
            " UNION SELECT head_name FROM declarations WHERE user_id = ?",
            (user_id, user_id),
        )
        return [str(r[0]) for r in found if r[0]]

    async def inventory(self, user_id: int, key: str) -> dict[str, int]:
        """How many rows each rule would touch now (rule name → rows); rules that touch none are
        left out."""
        values = self._values(user_id, key)
        counts: dict[str, int] = {}
        for rule in RULES:
            sql, args = _bind(f"SELECT COUNT(*) FROM {rule.table} WHERE {rule.where}", values)
            row = await self.conn.fetch_one(sql, args)
            if row is not None and int(row[0]):
                counts[rule.name] = int(row[0])
        return counts

    async def erase(self, user_id: int, key: str) -> dict[str, int]:
        """Apply every rule (in a write transaction); rows changed per rule."""
        values = self._values(user_id, key)
        changed: dict[str, int] = {}
        for name in await self.names(user_id):
            pattern = name_pattern(name)
            if pattern is not None:
                sql, args = _bind(SCREENS.sql(), {**values, "pattern": pattern})
                changed[SCREENS.name] = changed.get(SCREENS.name, 0) + await self.conn.execute(sql, args)
        for rule in RULES:
            sql, args = _bind(rule.sql(), values)
            count = await self.conn.execute(sql, args)
            if count:
                changed[rule.name] = changed.get(rule.name, 0) + count
        return changed
