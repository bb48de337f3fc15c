"""Conversation state per person: the running flow, its step, its draft, the last menu."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.inbox import mark_with_state
from storage.sql import Connection
from storage.timefmt import to_db


@dataclass(slots=True)
class ConversationState:
    flow: str | None = None
    step: str | None = None
    draft: dict[str, Any] = field(default_factory=dict)
    # The buttons last shown, as (label, payload, *aliases), so a typed "2" or word can be mapped.
    menu: list[tuple[str, ...]] = field(default_factory=list)

    def clear_flow(self) -> None:
        self.flow = None
        self.step = None
        self.draft = {}


class ConversationsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def load(self, user_id: int) -> ConversationState:
        row = await self.conn.fetch_one(
            "SELECT flow, step, draft, menu FROM conversations WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return ConversationState()
        return ConversationState(
            flow=row["flow"],
            step=row["step"],
            draft=json.loads(row["draft"]),
            menu=[tuple(entry) for entry in json.loads(row["menu"])],
        )

    async def save(self, user_id: int, state: ConversationState, now: datetime) -> None:
        """Save the state (in a write transaction). The inbox update whose turn this ends, if any,
        is marked handled in the same transaction: both are committed, or neither."""
        await mark_with_state(self.conn)
        await self.conn.execute(
            "INSERT INTO conversations (user_id, flow, step, draft, menu, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET flow = excluded.flow,"
            " step = excluded.step, draft = excluded.draft, menu = excluded.menu,"
            " updated_at = excluded.updated_at",
            (
                user_id,
                state.flow,
                state.step,
                json.dumps(state.draft, ensure_ascii=False),
                json.dumps(state.menu, ensure_ascii=False),
                to_db(now),
            ),
        )
