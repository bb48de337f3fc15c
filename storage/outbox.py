"""The outbox: messages to people other than the one who wrote, sent by the delivery worker.

States: pending → sending → sent | unreachable | failed; a row found in 'sending' after a crash
becomes 'uncertain' (it may or may not have reached the person; see README, "Delivery").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from storage.sql import Connection, Row
from storage.timefmt import from_db, opt_from_db, to_db

FINAL_STATES = ("sent", "unreachable", "failed", "uncertain", "cancelled")

# Rows of (label, payload) pairs: the message model lives above storage (bot.model), so the outbox
# keeps plain values and the delivery worker turns them back into buttons.
Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A picture or document stored once and sent to many."""

    filename: str
    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    user_id: int
    purpose: str
    batch: str | None
    kind: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueMessage:
    """A row ready to send, with the recipient's current address."""

    id: int
    user_id: int
    channel: str
    chat_id: str
    reachable: bool
    purpose: str
    batch: str | None
    kind: str
    attempts: int
    text: str
    buttons: Buttons  # the picture or file is stored once for everyone: see attachment_id
    attachment_id: int | None = None
    attachment_kind: str | None = None  # photo | document


def encode_buttons(buttons: Buttons) -> str:
    return json.dumps([[[label, payload] for label, payload in row] for row in buttons], ensure_ascii=False)


def decode_buttons(raw: str) -> Buttons:
    return tuple(tuple((label, payload) for label, payload in row) for row in json.loads(raw))


def _row(r: Row) -> OutboxRow:
    return OutboxRow(
        id=r["id"],
        user_id=r["user_id"],
        purpose=r["purpose"],
        batch=r["batch"],
        kind=r["kind"],
        state=r["state"],
        attempts=r["attempts"],
        next_attempt_at=from_db(r["next_attempt_at"]),
        last_error=r["last_error"],
        sent_at=opt_from_db(r["sent_at"]),
    )


class OutboxRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add_attachment(self, attachment: StoredFile, now: datetime) -> int:
        return await self.conn.insert(
            "INSERT INTO attachments (filename, mime_type, data, created_at) VALUES (?, ?, ?, ?)"
            " RETURNING id",
            (attachment.filename, attachment.mime_type, attachment.data, to_db(now)),
        )

    async def enqueue(
        self,
        user_id: int,
        purpose: str,
        text: str,
        buttons: Buttons,
        now: datetime,
        *,
        not_before: datetime | None = None,
        batch: str | None = None,
        kind: str = "notice",
        attachment_id: int | None = None,
        attachment_kind: str | None = None,
        about_id: int | None = None,
    ) -> bool:
        """Queue a message; False when this person already has one for this purpose. ``about_id``:
        the person the message is about, when not its recipient (redacted when they delete their
        data)."""
        changed = await self.conn.execute(
            "INSERT INTO outbox (user_id, purpose, batch, kind, text, buttons, attachment_id,"
            " attachment_kind, next_attempt_at, created_at, about_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(user_id, purpose) DO NOTHING",
            (
                user_id,
                purpose,
                batch,
                kind,
                text,
                encode_buttons(buttons),
                attachment_id,
                attachment_kind,
                to_db(not_before or now),
                to_db(now),
                about_id,
            ),
        )
        return changed == 1

    async def due(self, now: datetime, limit: int = 100) -> list[DueMessage]:
        rows = await self.conn.fetch_all(
            "SELECT o.id, o.user_id, o.purpose, o.batch, o.kind, o.attempts, o.text, o.buttons,"
            " o.attachment_id, o.attachment_kind, u.channel, u.chat_id, u.reachable"
            " FROM outbox o JOIN users u ON u.id = o.user_id"
            " WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
            " ORDER BY o.next_attempt_at, o.id LIMIT ?",
            (to_db(now), limit),
        )
        return [
            DueMessage(
                id=r["id"],
                user_id=r["user_id"],
                channel=r["channel"],
                chat_id=r["chat_id"],
                reachable=bool(r["reachable"]),
                purpose=r["purpose"],
                batch=r["batch"],
                kind=r["kind"],
                attempts=r["attempts"],
                text=r["text"],
                buttons=decode_buttons(r["buttons"]),
                attachment_id=r["attachment_id"],
                attachment_kind=r["attachment_kind"],
            )
            for r in rows
        ]

    async def attachment(self, attachment_id: int) -> StoredFile | None:
        r = await self.conn.fetch_one(
            "SELECT filename, mime_type, data FROM attachments WHERE id = ?", (attachment_id,)
        )
        return StoredFile(r["filename"], bytes(r["data"]), r["mime_type"]) if r else None

    async def mark_sending(self, row_id: int) -> bool:
        changed = await self.conn.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ? AND state = 'pending'",
            (row_id,),
        )
        return changed == 1

    async def finish(self, row_id: int, state: str, now: datetime, error: str | None = None) -> None:
        if state not in FINAL_STATES:
            raise ValueError(f"not a final state: {state}")
        await self.conn.execute(
            "UPDATE outbox SET state = ?, last_error = ?, sent_at = COALESCE(?, sent_at) WHERE id = ?",
            (state, error, to_db(now) if state == "sent" else None, row_id),
        )

    async def retry_at(self, row_id: int, when: datetime, error: str, uncount_attempt: bool = False) -> None:
        """Back to pending, to be tried again at ``when`` (a platform's "wait" is not an attempt)."""
        await self.conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?,"
            " attempts = CASE WHEN attempts > ? THEN attempts - ? ELSE 0 END WHERE id = ?",
            (to_db(when), error, *(2 * [1 if uncount_attempt else 0]), row_id),
        )

    async def recover_interrupted(self, now: datetime) -> int:
        """Rows left in 'sending' by a crash: we cannot know whether they arrived."""
        return await self.conn.execute(
            "UPDATE outbox SET state = 'uncertain', last_error = 'interrupted while sending'"
            " WHERE state = 'sending'"
        )

    async def requeue_uncertain(self, batch: str, now: datetime) -> int:
        """Send again, on purpose, the rows of a batch whose delivery was not confirmed."""
        return await self.conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = 'resent on request'"
            " WHERE batch = ? AND state = 'uncertain'",
            (to_db(now), batch),
        )

    async def cancel(self, purpose_prefix: str, user_id: int | None = None) -> int:
        """Withdraw messages not yet sent (e.g. reminders of a cancelled session or sign-up),
        for everyone or for one person."""
        sql = "UPDATE outbox SET state = 'cancelled' WHERE state = 'pending' AND substr(purpose, 1, ?) = ?"
        args: tuple[object, ...] = (len(purpose_prefix), purpose_prefix)
        if user_id is not None:
            sql += " AND user_id = ?"
            args += (user_id,)
        return await self.conn.execute(sql, args)

    async def get(self, user_id: int, purpose: str) -> OutboxRow | None:
        r = await self.conn.fetch_one(
            "SELECT * FROM outbox WHERE user_id = ? AND purpose = ?", (user_id, purpose)
        )
        return _row(r) if r else None

    async def batch_counts(self, batch: str) -> dict[str, int]:
        rows = await self.conn.fetch_all(
            "SELECT state, COUNT(*) FROM outbox WHERE batch = ? GROUP BY state", (batch,)
        )
        return {r[0]: int(r[1]) for r in rows}

    async def batch_errors(self, batch: str, limit: int = 10) -> list[tuple[str, str, int]]:
        """(state, error, count) for rows of a batch that did not arrive."""
        rows = await self.conn.fetch_all(
            "SELECT state, COALESCE(last_error, ''), COUNT(*) FROM outbox"
            " WHERE batch = ? AND state IN ('unreachable', 'failed', 'uncertain')"
            " GROUP BY state, last_error ORDER BY COUNT(*) DESC LIMIT ?",
            (batch, limit),
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    async def rows(self, purpose_prefix: str = "") -> list[OutboxRow]:
        rows = await self.conn.fetch_all(
            "SELECT * FROM outbox WHERE substr(purpose, 1, ?) = ? ORDER BY id",
            (len(purpose_prefix), purpose_prefix),
        )
        return [_row(r) for r in rows]
