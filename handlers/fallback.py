"""Free text outside any flow, until the questions-and-answers module takes it over."""

from __future__ import annotations

from bot.context import Turn
from bot.i18n import _
from bot.router import Router
from bot.text import fold

GREETINGS = frozenset({"xin chao", "chao", "hello", "hi", "alo", "chao ban", "chao bot"})


async def free_text(turn: Turn) -> None:
    from handlers.help import help_text

    if fold(turn.msg.text or "").strip(" !.") in GREETINGS:
        turn.say(_("Hello! How can I help you?"))
    else:
        turn.say(_("Sorry, I did not understand that yet."))
    turn.say(help_text(turn))


def register(router: Router) -> None:
    router.fallback = free_text
