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
from bot.context import Turn
from bot.feature import Lazy
from bot.help import help_text
from bot.i18n import _
from bot.model import Button
from bot.text import esc, fold, parse_id, parse_int, words
from handlers.faq import handoff
from handlers.faq.analyze import AbbreviationsError, Kind
from handlers.faq.flows import ASK_FLOW, DRAFT_KEY, REPLY_FLOW, send_question
from handlers.faq.knowledge import MORE_PREFIX, PAYLOAD_PREFIX, KnowledgeError, Topic
from handlers.faq.matcher import Candidate
from handlers.faq.service import FaqService

HELP_TOPIC = "bot.help"
CONTACT_TOPIC = "contact_officer"  # its answer comes with a button to write to the officer
HANDOFF_PREFIX = "faqh"
SEND_LAST = "faqh:send"
ASK_NEW = handoff.ASK_AGAIN
MIN_SUGGESTION = 0.2  # nearer topics than this are offered when the bot is not sure
MIN_SHORT_SUGGESTION = 0.6  # and these when a single word was typed ("quỹ"): it must be in them
LIST_LIMIT = 10
MISS_DAYS = 30


def _topic_buttons(service: FaqService, ids: list[str], language: str) -> list[Button]:
    topics = [service.topic(i, language) for i in ids]
    return [Button(t.title, t.payload) for t in topics if t is not None]


class FaqHandlers:
    def __init__(self, service: Lazy[FaqService]) -> None:
        self._service = service

    @property
    def service(self) -> FaqService:
        """Loaded on first use: ``python -m bot admin …`` never reads the knowledge base."""
        return self._service.get()

    # -- answering ------------------------------------------------------------------------------
    def _answer(self, turn: Turn, topic: Topic, buttons: bool = True) -> None:
        """The first message: what it is, what to do, whom to ask, the source. The details
        ("more") come behind a "Xem thêm" choice, last, after the related topics (so typed
        numbers keep meaning the related topics, as before)."""
        text = self.service.render(topic)
        if not buttons:
            turn.say(text)
            return
        more = [Button(_("📖 More details"), topic.more_payload)] if topic.more else []
        turn.say(text, self._follow_ups(turn, topic) + more)

    def _follow_ups(self, turn: Turn, topic: Topic) -> list[Button]:
        extra = [Button(_("✍️ Write a question to the officer"), ASK_NEW)] if topic.id == CONTACT_TOPIC else []
        return extra + _topic_buttons(self.service, list(topic.related), turn.person.language)

    async def more_button(self, turn: Turn) -> None:
        """``faqm:<id>``: the title and the details, then the related topics."""
        topic_id = (turn.msg.payload or "")[len(MORE_PREFIX) :]
        topic = self.service.topic(topic_id, turn.person.language)
        if topic is None:
            turn.say(_("That topic is no longer available. Please type your question."))
            return
        if not topic.more:  # the details were merged into the answer since the button was shown
            self._answer(turn, topic)
            return
        turn.say(self.service.render_more(topic), self._follow_ups(turn, topic))

    async def _help(self, turn: Turn, greeting: bool) -> None:

        if greeting:
            turn.say(_("Hello! How can I help you?"))
        topic = self.service.topic(HELP_TOPIC, turn.person.language)
        related = list(topic.related) if topic else []
        turn.say(help_text(turn), _topic_buttons(self.service, related, turn.person.language))

    async def free_text(self, turn: Turn) -> None:
        text = (turn.msg.text or "").strip()
        if not fold(text).strip(" .!?"):
            await self._help(turn, greeting=False)
            return
        match = self.service.match(text)
        if match.kind is Kind.THANKS:
            turn.say(_("You are welcome! Ask me anything about the learning titles."))
            return
        if match.kind is Kind.OK:
            turn.say(_("All right. If you have another question, just type it."))
            return
        if match.kind is Kind.GREETING:
            await self._help(turn, greeting=True)
            return
        if match.kind is Kind.SHORT:
            await self._short(turn, match.candidates)
            return
        if match.topic == HELP_TOPIC:
            await self._help(turn, greeting=False)
            return
        topic = self.service.topic(match.topic, turn.person.language) if match.topic else None
        if topic is not None:
            turn.state.draft.pop(DRAFT_KEY, None)
            self._answer(turn, topic)
            return
        await self._unsure(turn, text, match.candidates)

    async def answer_in_step(self, turn: Turn) -> bool:
        """A question typed in the middle of a form: the answer when the knowledge base is sure (no
        topic buttons, no handoff, nothing logged); False leaves the step to give its own hint."""
        match = self.service.match((turn.msg.text or "").strip())
        if match.kind is not Kind.QUESTION or match.topic is None or match.topic == HELP_TOPIC:
            return False
        topic = self.service.topic(match.topic, turn.person.language)
        if topic is None:
            return False
        turn.say(self.service.render(topic))
        return True

    async def _short(self, turn: Turn, candidates: tuple[Candidate, ...]) -> None:
        """One everyday word or a number: too little to answer. Say so, and what I can do."""
        nearest = [c.topic for c in candidates if c.score >= MIN_SHORT_SUGGESTION and c.topic != HELP_TOPIC]
        lines = [
            _(
                "I need a little more to understand. Please type your whole question, for example: "
                "“what are the criteria for a learning family?”"
            )
        ]
        if nearest:
            lines.append(_("Or choose one of these topics:"))
        else:
            topic = self.service.topic(HELP_TOPIC, turn.person.language)
            nearest = list(topic.related) if topic else []
            lines.append(
                _(
                    "I can answer questions about the learning titles, help you declare your family's "
                    "learning (/khaibao), show training sessions (/lichhoc) and send your question to an "
                    "officer (/hoicanbo)."
                )
            )
        turn.say("\n".join(lines), _topic_buttons(self.service, nearest[:3], turn.person.language))

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
                turn.person.user.id if turn.person.user is not None else None,
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
            await send_question(turn, str(turn.state.draft[DRAFT_KEY]))
            return
        await self.ask_command(turn, "")

    async def ask_command(self, turn: Turn, args: str) -> None:
        if turn.person.area is None:
            turn.say(_("Please choose where you live first with /khuvuc, so I know which officer to ask."))
            return
        if args.strip():
            await send_question(turn, args.strip()[: handoff.MAX_QUESTION])
            return
        await ASK_FLOW.start(turn)

    async def reply_button(self, turn: Turn) -> None:
        """``fq:<id>`` pressed by an officer: checked here, since payloads can be forged."""
        turn.person.require_officer()
        raw = (turn.msg.payload or "").partition(":")[2]
        number = parse_id(raw)
        question = await turn.services.store.read.questions.get(number) if number is not None else None
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
        path = turn.person.scope().path
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
        days = parse_int(args, 1, 366) or MISS_DAYS
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
    async def guest(self, turn: Turn) -> bool:
        """Before consent (a link of the guest chain, after consent answers): answer confident
        questions without storing anything; otherwise leave the message to the consent notice."""
        payload = turn.msg.payload or ""
        if payload.startswith(PAYLOAD_PREFIX):
            topic = self.service.topic(payload[len(PAYLOAD_PREFIX) :], turn.person.language)
            if topic is not None:
                self._answer(turn, topic, buttons=False)
                turn.say(self._guest_note(topic))
                return True
        if payload.startswith(MORE_PREFIX):  # a button from before consent was withdrawn
            topic = self.service.topic(payload[len(MORE_PREFIX) :], turn.person.language)
            if topic is not None and topic.more:
                turn.say(self.service.render_more(topic))
                turn.say(self._guest_note(None))
                return True
        text = (turn.msg.text or "").strip()
        if payload.startswith(HANDOFF_PREFIX):
            turn.say(_("To send your question to an officer, please first agree to the data notice below."))
        elif self._guest_question(text, payload):
            match = self.service.match(text)
            if match.kind is not Kind.QUESTION:
                return False  # polite words and single words: the consent notice says what to do
            topic = self.service.topic(match.topic, turn.person.language) if match.topic else None
            if topic is not None and topic.id != HELP_TOPIC:
                # No buttons: before consent a typed "1" means "I agree", not "the first topic".
                self._answer(turn, topic, buttons=False)
                turn.say(self._guest_note(topic))
                return True
            if match.candidates:
                turn.say(
                    _(
                        "I am not sure I have the answer to that. I can send your question to a study "
                        "promotion officer, but only after you agree to the data notice below."
                    )
                )
        return False

    @staticmethod
    def _guest_question(text: str, payload: str) -> bool:
        """Typed words that may be a question (not a command, a consent answer or a greeting)."""
        folded = fold(text).strip(" .!?")
        return not (payload or not folded or text.startswith("/"))

    @staticmethod
    def _guest_note(topic: Topic | None) -> str:
        """After an answer to a guest. Without buttons there is no "Xem thêm": when the answer
        has details, the note says how to see them (agree, then ask again)."""
        if topic is not None and topic.more:
            return _(
                "I have stored nothing about you. There is more on this topic: send /start, agree to the "
                "data notice and ask again, and you can tap “More details”. Then you can also send a "
                "question to an officer, receive reminders or declare your family's learning."
            )
        return _(
            "I have stored nothing about you. To send a question to an officer, receive reminders or "
            "declare your family's learning, send /start and agree to the data notice."
        )
