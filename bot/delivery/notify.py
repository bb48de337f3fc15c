"""Queueing a message to someone other than the person who wrote (reviews, reminders, answers).

Call it inside the write transaction of the event that causes the message, so the event and the
message are saved together or not at all. The text is rendered now, in the recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot import i18n
from bot.model import Attachment, Button, Reply
from storage.outbox import DueMessage, StoredFile
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
    about: User | None = None,
) -> bool:
    """Queue ``build()`` for ``recipient``; False if they already have a message for ``purpose``.
    ``photo_id``: a stored attachment sent as the message's picture (stored once for everyone).
    ``about``: the person the message is about, when it is not the recipient (their name or words
    in a notice to officers): deleting that person's data redacts it."""
    with i18n.use(recipient.language):
        reply = build()
    return await tx.outbox.enqueue(
        recipient.id,
        purpose,
        reply.text,
        tuple(tuple((b.label, b.payload) for b in row) for row in reply.buttons),
        now,
        not_before=not_before,
        batch=batch,
        kind=kind,
        attachment_id=photo_id,
        attachment_kind="photo" if photo_id is not None else None,
        about_id=about.id if about is not None and about.id != recipient.id else None,
    )


def to_reply(message: DueMessage) -> Reply:
    """An outbox row as the reply the channel sends (its picture or file is added by the worker)."""
    return Reply(
        text=message.text,
        buttons=tuple(tuple(Button(label, payload) for label, payload in row) for row in message.buttons),
    )


def to_attachment(stored: StoredFile) -> Attachment:
    return Attachment(stored.filename, stored.data, stored.mime_type)


def to_stored(attachment: Attachment) -> StoredFile:
    return StoredFile(attachment.filename, attachment.data, attachment.mime_type)
