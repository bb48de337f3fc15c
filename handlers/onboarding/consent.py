"""The consent notice: nothing about a person is stored until they accept it."""

from __future__ import annotations

from bot import accounts, i18n
from bot.context import Turn
from bot.i18n import _
from bot.model import Button
from bot.text import esc, fold
from handlers.onboarding.flows import AREA_FLOW, show_help

AGREE_WORDS = frozenset({"1", "dong y", "co", "ok", "yes", "agree", "i agree", "chap nhan", "dong"})
DECLINE_WORDS = frozenset({"2", "khong", "ko", "k", "no", "khong dong y", "decline"})
ENGLISH_WORDS = frozenset({"3", "english", "tieng anh", "en"})
VIETNAMESE_WORDS = frozenset({"tieng viet", "vietnamese", "vi"})


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


def consent_buttons(language: str, invite: str) -> list[Button]:
    other = "en" if language == "vi" else "vi"
    return [
        Button(_("I agree"), f"consent:yes:{language}:{invite}"),
        Button(_("I do not agree"), f"consent:no:{language}"),
        Button("English" if other == "en" else "Tiếng Việt", f"consent:lang:{other}:{invite}"),
    ]


def show_notice(turn: Turn, invite: str = "") -> None:
    turn.say(consent_text(), consent_buttons(turn.person.language, invite))


async def consent_answer(turn: Turn) -> bool:
    """A guest's answer to the notice (a button, or typed words); False for anything else."""
    payload = turn.msg.payload or ""
    language, invite = turn.person.language, ""
    if payload.startswith("consent:"):
        parts = [*payload.split(":", 3), "", ""]
        choice, language, invite = parts[1], parts[2] or language, parts[3]
    else:
        text = fold(turn.msg.text or "").strip(" .!")
        if text in AGREE_WORDS:
            choice = "yes"
        elif text in DECLINE_WORDS:
            choice = "no"
        elif text in ENGLISH_WORDS:
            choice, language = "lang", "en"
        elif text in VIETNAMESE_WORDS:
            choice, language = "lang", "vi"
        else:
            return False
    with i18n.use(language):
        if choice == "yes":
            await _accept(turn, language, invite)
        elif choice == "no":
            turn.say(
                _(
                    "No problem: I have stored nothing about you. If you change your mind, send /start. "
                    "You can read about the learning titles on the association's notice boards or ask "
                    "your village's study promotion officer."
                )
            )
        else:
            turn.person.language = language
            show_notice(turn, invite)
    return True


async def consent_notice(turn: Turn) -> bool:
    """The last link of the guest chain: show the notice."""
    show_notice(turn)
    return True


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
