"""Queueing a message to someone other than the person who wrote (reviews, reminders, answers).

Call it inside the write transaction of the event that causes the message, so the event and the
message are saved together or not at all. The text is rendered now, in the recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot import i18n
from bot.model import Reply
from storage.store import Repos
from storage.users import User


async def notify(
    tx: Repos,
    recipient: User,
    purpose: str,
    build: Callable[[], Reply],
    now: datetime,
    *,
    not_before: datetime | None = None,
    batch: str | None = None,
    kind: str = "notice",
    photo_id: int | None = None,
) -> bool:
    """Queue ``build()`` for ``recipient``; False if they already have a message for ``purpose``.
    ``photo_id``: a stored attachment sent as the message's picture (stored once for everyone)."""
    with i18n.use(recipient.language):
        reply = build()
    return await tx.outbox.enqueue(
        recipient.id,
        purpose,
        reply,
        now,
        not_before=not_before,
        batch=batch,
        kind=kind,
        attachment_id=photo_id,
        attachment_kind="photo" if photo_id is not None else None,
    )
