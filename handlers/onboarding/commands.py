"""Onboarding: greeting, consent (nothing stored before it), home area, invites."""

from __future__ import annotations

from bot import accounts, i18n
from bot.area_picker import AreaPicker
from bot.context import Answer, Role, Turn
from bot.flow import DONE, Reask, StepFlow, yes_no
from bot.i18n import N_, _
from bot.model import Button
from bot.router import Command, Router
from bot.text import esc, fold

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


async def guest(turn: Turn) -> None:
    """Everything a person sends before consenting: handled without storing anything."""
    payload = turn.msg.payload or ""
    language, invite = turn.person.language, ""
    choice = None
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
            turn.say(consent_text(), consent_buttons(language, invite))


async def _accept(turn: Turn, language: str, invite: str) -> None:
    user = await accounts.accept_consent(turn.services, turn.msg, language)
    turn.person.user = user
    turn.person.language = language
    turn.say(_("Thank you! You can delete your data at any time with /xoadulieu."))
    if invite:
        await _apply_invite(turn, invite)
        if turn.person.user is not None and turn.person.user.area_id:
            await show_help(turn)
            return
    await AREA_FLOW.start(turn)


async def _apply_invite(turn: Turn, code: str) -> None:
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


async def start_command(turn: Turn, args: str) -> None:
    code = args.strip().split(" ")[0] if args.strip() else ""
    if turn.person.user is None:
        turn.say(consent_text(), consent_buttons(turn.person.language, code[:40]))
        return
    if code:
        await _apply_invite(turn, code)
    if turn.person.user is not None and turn.person.user.area_id is None:
        turn.say(_("Welcome back! First, please tell me where you live."))
        await AREA_FLOW.start(turn)
        return
    name = esc(turn.msg.display_name) if turn.msg.display_name else ""
    turn.say(_("Welcome back, {name}!").format(name=name) if name else _("Welcome back!"))
    await show_help(turn)


async def show_help(turn: Turn) -> None:
    """What this person's role can do (also used after onboarding)."""
    from handlers.onboarding.general import help_text

    turn.say(help_text(turn))


class AreaFlow(StepFlow):
    """Choose the ward, then the village or residential group, from the area tree."""

    name = "area"
    first_step = "pick"
    title = N_("choosing your area")
    picker = AreaPicker(
        "pick",
        "parent",
        "page",
        N_("Which ward or commune do you live in?"),
        N_("{ward}: which village or residential group do you live in?"),
    )

    async def ask_pick(self, turn: Turn) -> None:
        if not await self.picker.ask(turn):
            turn.state.clear_flow()

    async def on_pick(self, turn: Turn, answer: Answer) -> str:
        chosen = await self.picker.choose(turn, answer)
        if chosen is None:
            return "pick"
        turn.state.draft["chosen"] = chosen
        return "confirm"

    async def ask_confirm(self, turn: Turn) -> None:
        chain = await turn.services.store.read.areas.ancestors(turn.state.draft["chosen"])
        where = ", ".join(esc(a.name) for a in reversed(chain))
        turn.say(
            _("You live in: <b>{where}</b>. Is that right?").format(where=where),
            [Button(_("Yes, that is right"), "confirm:yes"), Button(_("No, choose again"), "confirm:no")],
        )

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        agreed = yes_no(answer, "confirm")
        if agreed is None:
            raise Reask(_("Please answer yes or no (or tap a button)."))
        if not agreed:
            turn.state.draft = {}
            return "pick"
        user = turn.person.user
        assert user is not None
        area_id = turn.state.draft["chosen"]
        await accounts.set_home_area(turn.services, user, area_id)
        turn.person.area = await turn.services.store.read.areas.get(area_id)
        return DONE

    async def on_done(self, turn: Turn) -> None:
        turn.say(_("All set! I will send you news and reminders for your area."))
        await show_help(turn)


AREA_FLOW = AreaFlow()


async def change_area(turn: Turn, args: str) -> None:
    await AREA_FLOW.start(turn)


def register(router: Router) -> None:
    router.guest_handler = guest
    router.add_flow(AREA_FLOW)
    router.add_command(
        Command(("start", "batdau"), start_command, Role.GUEST, N_("start, or start again"), in_menu=True)
    )
    router.add_command(
        Command(
            ("khuvuc", "area"),
            change_area,
            Role.FAMILY,
            N_("change the area where you live"),
            starts_flow=True,
        )
    )
