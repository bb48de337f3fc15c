"""Questions and answers: free text outside a flow, handoff to an officer, and the officers' tools.

- Free text → the knowledge base. A confident answer comes with its source and related topics;
  below the threshold the bot says it is not sure, offers the nearest topics and to send the
  question to an officer of the person's area. Such questions are logged without who asked.
- Guests (no consent yet) may ask too: nothing about them is stored, handoff needs consent.
- Officers receive handed-off questions with a reply button, answer in a small flow, and list
  what is still open (/cauhoichuatraloi); admins see the most frequent unanswered questions
  (/cauhoi); officers and admins reload an edited knowledge base (/taidulieu).
"""

from __future__ import annotations

from datetime import timedelta

from bot import i18n
from bot.context import Answer, Role, Turn
from bot.flow import DONE, Reask, StepFlow, yes_no
from bot.i18n import N_, _
from bot.model import Button
from bot.router import Command, Handler, Router
from bot.text import esc, fold, words
from handlers.faq import handoff
from handlers.faq.analyze import AbbreviationsError
from handlers.faq.knowledge import PAYLOAD_PREFIX, KnowledgeError, Topic
from handlers.faq.matcher import Candidate
from handlers.faq.service import FaqService
from handlers.onboarding.commands import AGREE_WORDS, DECLINE_WORDS, ENGLISH_WORDS, VIETNAMESE_WORDS

HELP_TOPIC = "bot.help"
CONTACT_TOPIC = "contact_officer"  # its answer comes with a button to write to the officer
HANDOFF_PREFIX = "faqh"
SEND_LAST = "faqh:send"
ASK_NEW = handoff.ASK_AGAIN
DRAFT_KEY = "faq_q"  # the last unsure question, kept outside flows so the handoff button can send it
MIN_SUGGESTION = 0.2  # nearer topics than this are offered when the bot is not sure
LIST_LIMIT = 10
MISS_DAYS = 30
THANKS = frozenset({"cam on", "camon", "cam on nhieu", "thanks", "thank you", "tks", "ok", "oke", "okay"})
GREETINGS = frozenset({"xin chao", "chao", "hello", "hi", "alo", "chao ban", "chao bot", "chao ad"})
CONSENT_WORDS = AGREE_WORDS | DECLINE_WORDS | ENGLISH_WORDS | VIETNAMESE_WORDS


def _topic_buttons(service: FaqService, ids: list[str], language: str) -> list[Button]:
    topics = [service.topic(i, language) for i in ids]
    return [Button(t.title, t.payload) for t in topics if t is not None]


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
        await _send(turn, text)
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
        turn.say(
            _("Send this answer to the family?\n\n{answer}").format(answer=esc(turn.state.draft["a"])),
            [Button(_("Yes, send it"), "confirm:yes"), Button(_("No, let me rewrite it"), "confirm:no")],
        )

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        agreed = yes_no(answer, "confirm")
        if agreed is None:
            raise Reask(_("Please answer yes or no (or tap a button)."))
        if not agreed:
            turn.state.draft.pop("a", None)
            return "answer"
        if turn.person.role < Role.OFFICER:
            turn.say(_("Sorry, this command is only for officers or administrators of the association."))
            return DONE
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


async def _send(turn: Turn, text: str) -> None:
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


class FaqHandlers:
    def __init__(self, service: FaqService, guest_fallback: Handler | None) -> None:
        self.service = service
        self.guest_fallback = guest_fallback

    # -- answering ------------------------------------------------------------------------------
    def _answer(self, turn: Turn, topic: Topic, buttons: bool = True) -> None:
        text = self.service.render(topic)
        if not buttons:
            turn.say(text)
            return
        extra = [Button(_("✍️ Write a question to the officer"), ASK_NEW)] if topic.id == CONTACT_TOPIC else []
        turn.say(text, extra + _topic_buttons(self.service, list(topic.related), turn.person.language))

    async def _help(self, turn: Turn, greeting: bool) -> None:
        from handlers.onboarding.general import help_text

        if greeting:
            turn.say(_("Hello! How can I help you?"))
        topic = self.service.topic(HELP_TOPIC, turn.person.language)
        related = list(topic.related) if topic else []
        turn.say(help_text(turn), _topic_buttons(self.service, related, turn.person.language))

    async def free_text(self, turn: Turn) -> None:
        text = (turn.msg.text or "").strip()
        folded = fold(text).strip(" .!?")
        if not folded:
            await self._help(turn, greeting=False)
            return
        if folded in THANKS:
            turn.say(_("You are welcome! Ask me anything about the learning titles."))
            return
        if folded in GREETINGS:
            await self._help(turn, greeting=True)
            return
        match = self.service.match(text)
        if match.topic == HELP_TOPIC:
            await self._help(turn, greeting=False)
            return
        topic = self.service.topic(match.topic, turn.person.language) if match.topic else None
        if topic is not None:
            turn.state.draft.pop(DRAFT_KEY, None)
            self._answer(turn, topic)
            return
        await self._unsure(turn, text, match.candidates)

    async def _unsure(self, turn: Turn, text: str, candidates: tuple[Candidate, ...]) -> None:
        nearest = [c.topic for c in candidates if c.score >= MIN_SUGGESTION and c.topic != HELP_TOPIC]
        async with turn.services.store.write() as tx:
            await tx.questions.log_miss(
                text[:300],
                " ".join(words(text))[:300],
                candidates[0].topic if candidates else None,
                candidates[0].score if candidates else 0.0,
                turn.person.language,
                turn.services.clock.now(),
            )
        turn.state.draft[DRAFT_KEY] = text[: handoff.MAX_QUESTION]
        lines = [_("I am not sure I have the answer to that.")]
        if nearest:
            lines.append(_("Is it about one of these topics?"))
        lines.append(_("Or I can send your question to a study promotion officer of your area."))
        buttons = _topic_buttons(self.service, nearest[:3], turn.person.language)
        buttons.append(Button(_("📨 Send my question to an officer"), SEND_LAST))
        turn.say("\n".join(lines), buttons)

    async def topic_button(self, turn: Turn) -> None:
        topic_id = (turn.msg.payload or "")[len(PAYLOAD_PREFIX) :]
        topic = self.service.topic(topic_id, turn.person.language)
        if topic is None:
            turn.say(_("That topic is no longer available. Please type your question."))
            return
        if topic.id == HELP_TOPIC:
            await self._help(turn, greeting=False)
            return
        self._answer(turn, topic)

    # -- handoff --------------------------------------------------------------------------------
    async def handoff_button(self, turn: Turn) -> None:
        if turn.msg.payload == SEND_LAST and turn.state.draft.get(DRAFT_KEY):
            await _send(turn, str(turn.state.draft[DRAFT_KEY]))
            return
        await self.ask_command(turn, "")

    async def ask_command(self, turn: Turn, args: str) -> None:
        if turn.person.area is None:
            turn.say(_("Please choose where you live first with /khuvuc, so I know which officer to ask."))
            return
        if args.strip():
            await _send(turn, args.strip()[: handoff.MAX_QUESTION])
            return
        await ASK_FLOW.start(turn)

    async def reply_button(self, turn: Turn) -> None:
        """``fq:<id>`` pressed by an officer: checked here, since payloads can be forged."""
        if turn.person.role < Role.OFFICER:
            turn.say(_("Sorry, this command is only for officers or administrators of the association."))
            return
        raw = (turn.msg.payload or "").partition(":")[2]
        question = await turn.services.store.read.questions.get(int(raw)) if raw.isdigit() else None
        if question is None:
            turn.say(_("This question no longer exists (the person may have deleted their data)."))
            return
        area = await turn.services.store.read.areas.get(question.area_id)
        if area is None or not turn.person.can_see(area):
            turn.say(_("This question comes from outside your area."))
            return
        if not question.is_open:
            turn.say(
                _("This question was already answered:\n«{question}»\n\n{answer}").format(
                    question=esc(question.text), answer=esc(question.answer or "")
                )
            )
            return
        await REPLY_FLOW.start(turn, {"q": question.id})

    # -- officers and admins --------------------------------------------------------------------
    async def open_command(self, turn: Turn, args: str) -> None:
        person = turn.person
        if person.role == Role.OFFICER and person.officer_area is None:
            turn.say(_("Your officer role has no area. Please ask the administrator."))
            return
        path = (
            None if person.role == Role.ADMIN else person.officer_area.path if person.officer_area else None
        )
        store = turn.services.store.read
        now = turn.services.clock.now()
        hours = handoff.answer_hours(turn.services.settings)
        cutoff = now - timedelta(hours=hours)
        overdue = await store.questions.open_in(path, asked_before=cutoff, limit=LIST_LIMIT)
        total_open = await store.questions.count_open(path)
        total_overdue = await store.questions.count_open(path, asked_before=cutoff)
        if total_open == 0:
            turn.say(_("No questions are waiting for an answer in your area."))
            return
        shown = list(overdue)
        if len(shown) < LIST_LIMIT:
            recent = await store.questions.open_in(path, limit=LIST_LIMIT)
            shown += [q for q in recent if q.id not in {s.id for s in overdue}][: LIST_LIMIT - len(shown)]
        lines = [
            _(
                "<b>Questions waiting for an answer</b>: {open} in all, {late} for more than {hours} hours."
            ).format(open=total_open, late=total_overdue, hours=hours)
        ]
        buttons = []
        for question in shown:
            late = question.asked_at < cutoff
            lines.append(
                ("⚠️ " if late else "• ")
                + _("#{id}, {when}: «{question}»").format(
                    id=question.id,
                    when=i18n.fmt_datetime(question.asked_at),
                    question=esc(question.text[:200]),
                )
            )
            buttons.append(
                Button(_("Reply to #{id}").format(id=question.id), f"{handoff.REPLY_PREFIX}:{question.id}")
            )
        if total_open > len(shown):
            lines.append(_("… and {count} more.").format(count=total_open - len(shown)))
        turn.say("\n".join(lines), buttons, columns=2)

    async def misses_command(self, turn: Turn, args: str) -> None:
        days = int(args) if args.strip().isdigit() and 0 < int(args) <= 366 else MISS_DAYS
        store = turn.services.store.read
        now = turn.services.clock.now()
        since = (now - timedelta(days=days - 1)).date()
        frequent = await store.questions.frequent_misses(since)
        total = await store.questions.count_misses(since)
        lines = [
            _("<b>Questions I could not answer</b> in the last {days} days: {count}.").format(
                days=days, count=total
            )
        ]
        for miss in frequent:
            nearest = self.service.topic(miss.nearest, turn.person.language) if miss.nearest else None
            line = _("{count} × «{text}»").format(count=miss.count, text=esc(miss.example[:150]))
            if nearest is not None:
                line += " " + _("(nearest: {title})").format(title=esc(nearest.title))
            lines.append(line)
        open_now = await store.questions.count_open(None)
        lines.append("")
        lines.append(_("Questions sent to officers and not yet answered: {count}.").format(count=open_now))
        lines.append(_("Add good answers to locales/vi/knowledge.toml, then send /taidulieu."))
        turn.say("\n".join(lines))

    async def reload_command(self, turn: Turn, args: str) -> None:
        try:
            counts = self.service.reload()
        except (KnowledgeError, AbbreviationsError) as problem:
            turn.say(
                _("Not reloaded: {problem}\nI keep using the previous version.").format(
                    problem=esc(str(problem))
                )
            )
            return
        async with turn.services.store.write() as tx:
            await tx.audit.record(turn.person.key, "faq.reloaded", "knowledge", turn.services.clock.now())
        turn.say(
            _("Knowledge base reloaded: {vi} topics in Vietnamese, {en} in English.").format(
                vi=counts.get("vi", 0), en=counts.get("en", 0)
            )
        )

    # -- guests ---------------------------------------------------------------------------------
    async def guest(self, turn: Turn) -> None:
        """Before consent: answer confident questions without storing anything; else the notice."""
        payload = turn.msg.payload or ""
        if payload.startswith(PAYLOAD_PREFIX):
            topic = self.service.topic(payload[len(PAYLOAD_PREFIX) :], turn.person.language)
            if topic is not None:
                self._answer(turn, topic, buttons=False)
                turn.say(self._guest_note())
                return
        text = (turn.msg.text or "").strip()
        if payload.startswith(HANDOFF_PREFIX):
            turn.say(_("To send your question to an officer, please first agree to the data notice below."))
        elif self._guest_question(text, payload):
            match = self.service.match(text)
            topic = self.service.topic(match.topic, turn.person.language) if match.topic else None
            if topic is not None and topic.id != HELP_TOPIC:
                # No buttons: before consent a typed "1" means "I agree", not "the first topic".
                self._answer(turn, topic, buttons=False)
                turn.say(self._guest_note())
                return
            if match.candidates:
                turn.say(
                    _(
                        "I am not sure I have the answer to that. I can send your question to a study "
                        "promotion officer, but only after you agree to the data notice below."
                    )
                )
        if self.guest_fallback is not None:
            await self.guest_fallback(turn)

    @staticmethod
    def _guest_question(text: str, payload: str) -> bool:
        """Typed words that may be a question (not a command, a consent answer or a greeting)."""
        folded = fold(text).strip(" .!?")
        if payload or not folded or text.startswith("/"):
            return False
        return folded not in CONSENT_WORDS and folded not in GREETINGS

    @staticmethod
    def _guest_note() -> str:
        return _(
            "I have stored nothing about you. To send a question to an officer, receive reminders or "
            "declare your family's learning, send /start and agree to the data notice."
        )


def register(router: Router, service: FaqService | None = None) -> None:
    """Take over free text (register after ``fallback``) and wrap the guest handler."""
    faq = FaqHandlers(service or FaqService.load(), router.guest_handler)
    router.fallback = faq.free_text
    router.guest_handler = faq.guest
    router.add_flow(ASK_FLOW)
    router.add_flow(REPLY_FLOW)
    router.on_payload(PAYLOAD_PREFIX.rstrip(":"), faq.topic_button)
    router.on_payload(HANDOFF_PREFIX, faq.handoff_button)
    router.on_payload(handoff.REPLY_PREFIX, faq.reply_button)
    router.add_command(
        Command(
            ("hoicanbo", "askofficer"),
            faq.ask_command,
            Role.FAMILY,
            N_("send a question to the study promotion officer"),
            starts_flow=True,
        )
    )
    router.add_command(
        Command(
            ("cauhoichuatraloi", "openquestions"),
            faq.open_command,
            Role.OFFICER,
            N_("questions waiting for your answer (officers)"),
        )
    )
    router.add_command(
        Command(
            ("cauhoi", "questions"),
            faq.misses_command,
            Role.ADMIN,
            N_("questions the bot could not answer (administrators)"),
        )
    )
    router.add_command(
        Command(
            ("taidulieu", "reloadfaq"),
            faq.reload_command,
            Role.OFFICER,
            N_("reload the questions and answers after editing them (officers)"),
        )
    )
