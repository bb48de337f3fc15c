"""The Q&A flows: a family writes to the officers of their area; an officer answers."""

from __future__ import annotations

from bot.context import Answer, Forbidden, Turn
from bot.flow import DONE, Confirm, Reask, StepFlow
from bot.i18n import N_, _
from bot.text import esc
from handlers.faq import handoff

DRAFT_KEY = "faq_q"  # the last unsure question, kept outside flows so the handoff button can send it
SEND_ANSWER = Confirm(
    N_("Yes, send it"),
    N_("No, let me rewrite it"),
    yes_words=("@yes", "@send"),
    no_words=("@no", "@edit", "viet lai", "rewrite"),
)


class AskFlow(StepFlow):
    """/hoicanbo: type a question for the officers of your area."""

    name = "faqask"
    first_step = "question"
    title = N_("asking a study promotion officer")

    async def ask_question(self, turn: Turn) -> None:
        area = turn.person.area
        turn.say(
            _(
                "Type your question for the study promotion officers of {area} in one message. "
                "They will answer you here. Type /huy to cancel."
            ).format(area=esc(area.name if area else ""))
        )

    async def on_question(self, turn: Turn, answer: Answer) -> str:
        text = answer.text.strip()
        if not text or answer.payload is not None:
            raise Reask(_("Please type your question as a message."))
        if len(text) > handoff.MAX_QUESTION:
            raise Reask(
                _("That is too long: please keep it under {limit} characters.").format(
                    limit=handoff.MAX_QUESTION
                )
            )
        await send_question(turn, text)
        return DONE


class ReplyFlow(StepFlow):
    """An officer answers a handed-off question: type the answer, then confirm."""

    name = "faqreply"
    first_step = "answer"
    title = N_("answering a family's question")

    async def ask_answer(self, turn: Turn) -> None:
        question = await turn.services.store.read.questions.get(int(turn.state.draft["q"]))
        text = esc(question.text) if question else "—"
        turn.say(
            _("Question #{id}: «{question}»\nType your answer in one message (/huy to cancel).").format(
                id=turn.state.draft["q"], question=text
            )
        )

    async def on_answer(self, turn: Turn, answer: Answer) -> str:
        text = answer.text.strip()
        if not text or answer.payload is not None:
            raise Reask(_("Please type your answer as a message."))
        if len(text) > handoff.MAX_ANSWER:
            raise Reask(
                _("That is too long: please keep it under {limit} characters.").format(
                    limit=handoff.MAX_ANSWER
                )
            )
        turn.state.draft["a"] = text
        return "confirm"

    async def ask_confirm(self, turn: Turn) -> None:
        SEND_ANSWER.ask(
            turn, _("Send this answer to the family?\n\n{answer}").format(answer=esc(turn.state.draft["a"]))
        )

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        if not SEND_ANSWER.answer(turn):
            turn.state.draft.pop("a", None)
            return "answer"
        try:
            turn.person.require_officer()
        except Forbidden:
            turn.state.clear_flow()  # no longer an officer: the refusal ends the form
            raise
        outcome = await handoff.answer_question(
            turn.services, turn.person, int(turn.state.draft["q"]), turn.state.draft["a"]
        )
        messages = {
            handoff.Outcome.SENT: _("Sent. The family will receive your answer in the bot."),
            handoff.Outcome.ALREADY_ANSWERED: _("Another officer has already answered this question."),
            handoff.Outcome.GONE: _(
                "This question no longer exists (the person may have deleted their data)."
            ),
            handoff.Outcome.FORBIDDEN: _("This question comes from outside your area."),
        }
        turn.say(messages[outcome])
        return DONE


ASK_FLOW = AskFlow()
REPLY_FLOW = ReplyFlow()


async def send_question(turn: Turn, text: str) -> None:
    """Hand a question to the officers of the person's home area."""
    user, area = turn.person.user, turn.person.area
    if user is None:
        turn.say(
            _("To send your question to an officer, please first agree to the data notice: send /start.")
        )
        return
    if area is None:
        turn.say(_("Please choose where you live first with /khuvuc, so I know which officer to ask."))
        return
    sent = await handoff.send_question(turn.services, user, area, text)
    turn.state.draft.pop(DRAFT_KEY, None)
    if sent.recipients == 0:
        turn.say(
            _(
                "I have saved your question, but no study promotion officer of your area uses the bot "
                "yet. Please also ask your village's study promotion branch directly."
            )
        )
    elif sent.to_admins:
        turn.say(
            _(
                "No officer of your area uses the bot yet, so I sent your question to the association's "
                "administrators. You will receive the answer here."
            )
        )
    else:
        turn.say(
            _(
                "I have sent your question to the study promotion officers of {area}. You will receive "
                "their answer here."
            ).format(area=esc(area.name))
        )
