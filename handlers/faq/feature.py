"""Questions and answers: the knowledge base for free text, handoff to officers, officers' tools."""

from __future__ import annotations

from bot.context import Role, Turn
from bot.feature import DataSection, Feature, Lazy
from bot.i18n import N_, _
from bot.router import Command, Router
from bot.text import esc
from handlers.faq import handoff
from handlers.faq.analyze import AbbreviationsError
from handlers.faq.commands import HANDOFF_PREFIX, FaqHandlers
from handlers.faq.flows import ASK_FLOW, REPLY_FLOW
from handlers.faq.knowledge import MORE_PREFIX, PAYLOAD_PREFIX, KnowledgeError
from handlers.faq.service import FaqService


class FaqFeature(Feature):
    name = "faq"

    def __init__(self, service: Lazy[FaqService] | None = None) -> None:
        self.service = service or Lazy(FaqService.load, (KnowledgeError, AbbreviationsError))
        self.handlers = FaqHandlers(self.service)
        # The fallback for free text and a link of the guest chain (bot.bootstrap wires both).
        self.free_text = self.handlers.free_text
        self.guest = self.handlers.guest
        # A question typed in the middle of a form, answered when sure (bot.bootstrap wires it).
        self.answer_in_step = self.handlers.answer_in_step

    def check(self) -> None:
        self.service.check()

    def register(self, router: Router) -> None:
        faq = self.handlers
        router.add_flow(ASK_FLOW)
        router.add_flow(REPLY_FLOW)
        router.on_payload(PAYLOAD_PREFIX.rstrip(":"), faq.topic_button)
        router.on_payload(MORE_PREFIX.rstrip(":"), faq.more_button)
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

    async def personal_data(self, turn: Turn) -> DataSection:
        user = turn.person.user
        assert user is not None
        questions = await turn.services.store.read.questions.by_user(user.id)
        if not questions:
            return DataSection()
        lines = [_("• Questions you sent to an officer:")]
        for question in questions:
            state = _("answered") if question.answered_at else _("waiting for an answer")
            lines.append(f"   “{esc(question.text[:120])}” ({state})")
        return DataSection(lines=lines)
