"""The consent notice: nothing about a person is stored until they accept it."""

from __future__ import annotations

import dataclasses

from bot import accounts, i18n
from bot.choice import Option, match
from bot.context import Turn
from bot.i18n import _
from bot.model import Button
from bot.text import esc
from handlers.onboarding.flows import AREA_FLOW, show_help


def consent_text() -> str:
    return "\n".join(
        [
            _("Hello! I am the automated assistant of the Study Promotion Association (Hội Khuyến học)."),
            _(
                "I answer questions about the learning titles, help families declare their learning "
                "activities, remind you of training sessions and pass on announcements of your area."
            ),
            "",
            _("<b>Before we start: your personal data</b>"),
            _(
                "• What I store: your name as shown on this app, your chat id, your language, the "
                "village or residential group you choose, and later what you declare yourself."
            ),
            _("• Why: to answer you, send reminders and announcements, and count progress anonymously."),
            _("• Who sees it: the study promotion officers of your area and the association's admins."),
            _(
                "• Your rights: /dulieu shows everything stored about you; /xoadulieu deletes it. "
                "Nothing is stored until you agree."
            ),
            "",
            _("Do you agree?"),
        ]
    )


def _options(language: str, invite: str) -> list[Option]:
    """The answers to the notice, as shown (the payload is the key)."""
    other = "en" if language == "vi" else "vi"
    return [
        Option(f"consent:yes:{language}:{invite}", _("I agree"), ("@yes", "chap nhan", "agree")),
        Option(f"consent:no:{language}", _("I do not agree"), ("@no", "tu choi", "decline")),
        Option(
            f"consent:lang:{other}:{invite}",
            "English" if other == "en" else "Tiếng Việt",
            ("english", "tieng anh", "en") if other == "en" else ("tieng viet", "vietnamese", "vi"),
        ),
    ]


def consent_buttons(language: str, invite: str) -> list[Button]:
    return [Button(o.label, o.key, o.aliases) for o in _options(language, invite)]


class Consent:
    """The consent notice and its answers: the first and last links of the guest chain.

    An invite code sent with /start before consent must survive the notice however it is
    answered: a tap carries it in the button, a typed "1" or "đồng ý" finds it where
    ``accounts.keep_pending_invite`` keeps it (a day, under a hash of the person's channel key)."""

    async def show_notice(self, turn: Turn, invite: str = "") -> None:
        if invite:
            await accounts.keep_pending_invite(turn.services, turn.msg.key, invite)
        else:
            invite = await accounts.pending_invite(turn.services, turn.msg.key)
        turn.say(consent_text(), consent_buttons(turn.person.language, invite))

    async def answer(self, turn: Turn) -> bool:
        """A guest's answer to the notice (a button, its number, or its words); False otherwise."""
        payload = turn.msg.payload or ""
        if not payload.startswith("consent:"):
            # A guest has no saved menu: the notice is the only list a guest is ever shown.
            language = turn.person.language
            invite = await accounts.pending_invite(turn.services, turn.msg.key)
            shown = _options(language, invite)
            found = match(turn.msg.text or "", shown)
            if found.chosen is None and not found.ambiguous:
                # "tiếng việt" / "english" whichever the notice offers.
                other = [o for o in _options("en" if language == "vi" else "vi", invite) if "lang" in o.key]
                found = match(turn.msg.text or "", other, numbers=False)
            if found.chosen is None:
                return False
            payload = found.chosen.key
        parts = [*payload.split(":", 3), "", ""]
        # A payload can be forged: only a language the bot speaks is taken from it.
        choice, language = parts[1], parts[2] if parts[2] in i18n.LANGUAGES else turn.person.language
        invite = parts[3] or await accounts.pending_invite(turn.services, turn.msg.key)
        with i18n.use(language):
            if choice == "yes":
                await accounts.forget_pending_invite(turn.services, turn.msg.key)
                await _accept(turn, language, invite)
            elif choice == "no":
                await accounts.forget_pending_invite(turn.services, turn.msg.key)
                turn.say(
                    _(
                        "No problem: I have stored nothing about you. If you change your mind, send /start. "
                        "You can read about the learning titles on the association's notice boards or ask "
                        "your village's study promotion officer."
                    )
                )
            else:
                turn.person.language = language
                await self.show_notice(turn, invite)
        return True

    async def notice(self, turn: Turn) -> bool:
        """The last link of the guest chain: show the notice."""
        await self.show_notice(turn)
        return True


async def answered_again(turn: Turn) -> None:
    """The consent notice tapped again by someone who has already answered it (a double tap, an
    old message): one reply that says so, with the question in progress (or what they can do), so
    the list on screen stays the last thing shown."""
    note = _(
        "You have already agreed, nothing more is needed. You can delete your data at any time "
        "with /xoadulieu."
    )
    start = len(turn.replies)
    active = turn.router.active_flow(turn.state)
    if active is not None:
        await active.ask(turn)
    if len(turn.replies) > start:
        first = turn.replies[start]
        turn.replies[start] = dataclasses.replace(first, text=f"{note}\n\n{first.text}")
    else:
        turn.say(note + " " + _("Send /trogiup to see what you can do."))


async def _accept(turn: Turn, language: str, invite: str) -> None:
    user = await accounts.accept_consent(turn.services, turn.msg, language)
    turn.person.user = user
    turn.person.language = language
    turn.say(_("Thank you! You can delete your data at any time with /xoadulieu."))
    if invite:
        await apply_invite(turn, invite)
        if turn.person.user is not None and turn.person.user.area_id:
            show_help(turn)
            return
    await AREA_FLOW.start(turn)


async def apply_invite(turn: Turn, code: str) -> None:
    user = turn.person.user
    assert user is not None
    result = await accounts.claim_invite(turn.services, user, code)
    if result.problem == "unknown":
        turn.say(_("This invite code is not valid. Please check the link you were given."))
        return
    if result.problem == "used" and result.invite is not None and result.invite.used_by == user.id:
        turn.say(_("You have already used this invite: your role is unchanged."))
        return
    if result.problem == "used":
        turn.say(_("This invite has already been used. Please ask the administrator for a new one."))
        return
    if result.problem == "expired":
        turn.say(_("This invite has expired. Please ask the administrator for a new one."))
        return
    refreshed = await turn.services.store.read.users.by_key(user.key)
    turn.person.user = refreshed
    invite = result.invite
    assert invite is not None
    if invite.role == "admin":
        turn.person.is_admin = True
        turn.say(_("You are now an administrator of the association in this bot."))
    else:
        area = await turn.services.store.read.areas.get(invite.area_id or "")
        turn.person.officer_area = area
        turn.say(
            _("You are now a study promotion officer for: {area}.").format(
                area=esc(area.name if area else "")
            )
        )
