"""Handing a question to the officers of the asker's area, and delivering the officer's answer.

Both are written in one transaction with the outbox rows that carry them (``bot.delivery.notify``), so
a question is never stored without its notices, nor an answer without its delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from bot import i18n
from bot.config import Settings
from bot.context import Person
from bot.delivery.notify import notify
from bot.i18n import _
from bot.model import Button, Reply
from bot.services import Services
from bot.text import esc
from storage.areas import Area
from storage.questions import Question
from storage.store import Repos
from storage.users import User

DEFAULT_ANSWER_HOURS = 48
MAX_QUESTION = 1000
MAX_ANSWER = 1500
REPLY_PREFIX = "fq"  # officer's reply button: fq:<question id>
ASK_AGAIN = "faqh:new"


def answer_hours(settings: Settings) -> int:
    """Hours after which an open question is listed as overdue (setting ``faq_answer_hours``)."""
    return int(getattr(settings, "faq_answer_hours", DEFAULT_ANSWER_HOURS))


def overdue_before(services: Services) -> timedelta:
    return timedelta(hours=answer_hours(services.settings))


@dataclass(frozen=True, slots=True)
class Sent:
    question: Question
    recipients: int
    to_admins: bool  # no officer serves the area yet: the admins received it


class Outcome(Enum):
    SENT = "sent"
    ALREADY_ANSWERED = "answered"
    GONE = "gone"  # the question or the person who asked no longer exists
    FORBIDDEN = "forbidden"  # not an officer of the question's area


async def _place(tx: Repos, area_id: str) -> str:
    chain = await tx.areas.ancestors(area_id)
    return ", ".join(a.name for a in reversed(chain[1:] if len(chain) > 2 else chain))


def officer_notice(question: Question, asker_name: str, place: str) -> Reply:
    """The message an officer receives (built in the officer's language)."""
    text = _("❓ <b>Question from {name}</b> ({place}), {when}:\n«{question}»").format(
        name=esc(asker_name or _("a family")),
        place=esc(place),
        when=i18n.fmt_datetime(question.asked_at),
        question=esc(question.text),
    )
    hint = _("Tap “Reply” to answer; the family receives your answer in the bot.")
    return Reply.make(f"{text}\n\n{hint}", [Button(_("✍️ Reply"), f"{REPLY_PREFIX}:{question.id}")])


def family_answer(question: Question, answer: str, place: str) -> Reply:
    """The message the family receives (built in the family's language)."""
    text = _(
        "💬 <b>The study promotion officer of {place} answered your question</b>\n"
        "Your question: <i>{question}</i>\n\n{answer}"
    ).format(place=esc(place), question=esc(question.text), answer=esc(answer))
    return Reply.make(text, [Button(_("Ask the officer another question"), ASK_AGAIN)])


async def _recipients(tx: Repos, services: Services, area: Area, asker: User) -> tuple[list[User], bool]:
    ids = [i for i in await tx.questions.officers_for(area.path) if i != asker.id]
    to_admins = not ids
    if to_admins:
        ids = await tx.questions.admins()
        for key in sorted(services.settings.admin_ids):
            configured = await tx.users.by_key(key)
            if configured is not None:
                ids.append(configured.id)
        ids = [i for i in dict.fromkeys(ids) if i != asker.id]
    users = [u for u in [await tx.users.by_id(i) for i in ids] if u is not None]
    return users, to_admins


async def send_question(services: Services, asker: User, area: Area, text: str) -> Sent:
    """Store the question and notify the officers whose area contains the asker's home area."""
    now = services.clock.now()
    async with services.store.write() as tx:
        question = await tx.questions.ask(asker.id, area.id, text[:MAX_QUESTION], asker.language, now)
        recipients, to_admins = await _recipients(tx, services, area, asker)
        place = await _place(tx, area.id)
        for recipient in recipients:
            await notify(
                tx,
                recipient,
                f"faq-question:{question.id}",
                lambda: officer_notice(question, asker.display_name, place),
                now,
                about=asker,
            )
        await tx.audit.record(asker.key, "faq.asked", f"question#{question.id}", now, area.id)
    return Sent(question, len(recipients), to_admins)


async def answer_question(services: Services, officer: Person, question_id: int, answer: str) -> Outcome:
    """Record an officer's answer and queue it for the family; checks the officer's area again."""
    now = services.clock.now()
    async with services.store.write() as tx:
        question = await tx.questions.get(question_id)
        if question is None:
            return Outcome.GONE
        area = await tx.areas.get(question.area_id)
        if area is None or officer.user is None or not officer.can_see(area):
            return Outcome.FORBIDDEN
        if not question.is_open or not await tx.questions.answer(question_id, officer.user.id, answer, now):
            return Outcome.ALREADY_ANSWERED
        family = await tx.users.by_id(question.user_id)
        if family is None:
            return Outcome.GONE
        place = await _place(tx, (officer.officer_area or area).id)
        await notify(
            tx,
            family,
            f"faq-answer:{question.id}",
            lambda: family_answer(question, answer[:MAX_ANSWER], place),
            now,
        )
        await tx.audit.record(officer.key, "faq.answered", f"question#{question.id}", now)
    return Outcome.SENT
