"""The router: one place where an ``Incoming`` becomes replies.

For each message it takes the person's conversation lock, loads who they are and where their
conversation stands, maps a typed number or words onto the buttons on screen (``bot.choice``: a
typed answer is the button), dispatches to a command, the running flow, a button handler or the
free-text handler, and saves the state with the menu now on screen.

A menu is live only while it is the last thing shown: the menu saved is the buttons of the last
reply of the turn, or none. Outside a flow, words that try for a choice of the menu on screen and
miss are answered with the menu again, never with the Q&A; a number with no list on screen is
answered with what the person can do.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import i18n
from bot.choice import Match, Menu, looks_like_a_choice, match, number_in, words
from bot.context import Forbidden, Person, Role, Turn
from bot.flow import GO_ON, RESUME_KEY, StepFlow, go_on_button
from bot.i18n import N_, _
from bot.locks import KeyedLocks
from bot.model import Incoming, Reply
from bot.services import Services
from bot.text import esc, fold
from storage.conversations import ConversationState

log = logging.getLogger(__name__)
# What people write, logged only with --debug-personal-data (bot.logs).
personal_log = logging.getLogger("bot.personal")

Handler = Callable[[Turn], Awaitable[None]]
# Before consent: each handler of the chain may answer (True) or leave the message to the next.
GuestHandler = Callable[[Turn], Awaitable[bool]]
CommandHandler = Callable[[Turn, str], Awaitable[None]]
# Answers a question asked in the middle of a form, only when sure; False leaves it unanswered.
QuestionHandler = Callable[[Turn], Awaitable[bool]]
Send = Callable[[Reply], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class HelpGroup:
    """Officers' commands that belong together in /trogiup and the command menu."""

    title: str  # marked with N_, translated when shown
    commands: tuple[str, ...]  # canonical names, in the order shown


@dataclass(frozen=True, slots=True)
class HelpLayout:
    """How commands are shown by role: a family's commands first, the officers' in groups, the
    commands everyone has (help, language, cancel…) last. A command the layout does not name
    is still shown: after the family's, or in an officers' group of its own."""

    family: tuple[str, ...] = ()
    officer: tuple[HelpGroup, ...] = ()
    common: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """Commands shown together; ``title`` None for a family's list and for the common one."""

    title: str | None
    commands: tuple[Command, ...]


OTHER_GROUP = N_("Other")
MAX_COMMAND_SHOWN = 32
MAX_MENUS_REMEMBERED = (
    10_000  # officers' chat menus known to be set  # characters of an unknown command repeated to the person
)


@dataclass(frozen=True, slots=True)
class Command:
    names: tuple[str, ...]  # the first is the canonical name shown in menus
    handler: CommandHandler
    role: Role  # the least role that may run it
    description: str  # marked with N_, translated when shown
    starts_flow: bool = False
    in_menu: bool = True


class Router:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.flows: dict[str, StepFlow] = {}
        self.commands: dict[str, Command] = {}
        self._ordered: list[Command] = []
        self.payload_handlers: dict[str, Handler] = {}
        self._anywhere: dict[str, Handler] = {}  # payloads handled even in the middle of a form
        self._fallback: Handler | None = None
        self._questions: QuestionHandler | None = None
        self._guests: tuple[GuestHandler, ...] = ()
        self._locks = KeyedLocks()
        self._layout = HelpLayout()
        self._menus_set: dict[str, tuple[Role, str]] = {}  # person → the chat menu last set
        self.payload_handlers[GO_ON.split(":", 1)[0]] = self._resume

    # -- registration (features' register methods, called by bot.bootstrap) -----------------
    def set_guest_chain(self, *handlers: GuestHandler) -> None:
        """Who handles messages from people who have not consented yet, in order (the composition
        root declares it: consent answers, then questions, then the consent notice)."""
        self._guests = handlers

    def set_fallback(self, handler: Handler) -> None:
        """Free text outside any flow, command or menu (the Q&A)."""
        self._fallback = handler

    def set_question_handler(self, handler: QuestionHandler) -> None:
        """A question typed at a step that takes text (a name, a year): answered when sure, then
        the step is asked again."""
        self._questions = handler

    async def answer_question(self, turn: Turn) -> bool:
        """Answer the message as a question without touching the flow in progress."""
        if self._questions is None:
            return False
        state = turn.state
        saved = (state.flow, state.step, state.draft)
        state.flow, state.step, state.draft = None, None, {}
        start = len(turn.replies)
        try:
            answered = await self._questions(turn)
        finally:
            state.flow, state.step, state.draft = saved
        # Buttons of the answer would be dead while the form waits: the answer stands alone.
        turn.replies[start:] = [dataclasses.replace(r, buttons=()) for r in turn.replies[start:]]
        return answered

    def add_flow(self, flow: StepFlow) -> None:
        self.flows[flow.name] = flow

    def add_command(self, command: Command) -> None:
        for name in command.names:
            if name in self.commands:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = command
        self._ordered.append(command)

    def on_payload(self, prefix: str, handler: Handler, *, anywhere: bool = False) -> None:
        """Handle button payloads ``prefix:…`` pressed outside a flow; with ``anywhere``, also in
        the middle of one (a button of an earlier screen that is never a step's answer, such as the
        consent notice tapped again)."""
        if anywhere:
            self._anywhere[prefix] = handler
        else:
            self.payload_handlers[prefix] = handler

    def active_flow(self, state: ConversationState) -> StepFlow | None:
        """The flow in progress, if any (its step still exists)."""
        return self._active(state)

    def set_help_layout(self, layout: HelpLayout) -> None:
        """The order and groups of commands in /trogiup and the menus (the composition root
        declares it); every name must be a registered command."""
        named = [*layout.family, *layout.common, *(n for g in layout.officer for n in g.commands)]
        unknown = [n for n in named if n not in self.commands]
        if unknown:
            raise ValueError(f"help layout names unknown commands: {unknown}")
        self._layout = layout

    def visible_commands(self, role: Role) -> list[Command]:
        return [c for c in self._ordered if c.in_menu and c.role <= role]

    def sections(self, role: Role) -> list[Section]:
        """The commands this role sees, by section: for officers and administrators their groups
        first, then a family's commands, then the common ones."""
        visible = {c.names[0]: c for c in self.visible_commands(role)}
        layout = self._layout
        placed = {*layout.family, *layout.common, *(n for g in layout.officer for n in g.commands)}
        sections: list[Section] = []
        if role >= Role.OFFICER:
            for group in layout.officer:
                found = tuple(visible[n] for n in group.commands if n in visible)
                if found:
                    sections.append(Section(group.title, found))
            other = tuple(c for n, c in visible.items() if n not in placed and c.role >= Role.OFFICER)
            if other:
                sections.append(Section(OTHER_GROUP, other))
        family = [visible[n] for n in layout.family if n in visible]
        family += [c for n, c in visible.items() if n not in placed and c.role < Role.OFFICER]
        common = [visible[n] for n in layout.common if n in visible]
        return [*sections, Section(None, tuple(family)), Section(None, tuple(common))]

    def menu_commands(self, role: Role = Role.FAMILY) -> list[tuple[str, str]]:
        """(name, translated description) for a platform's command menu of a role, in the order
        of /trogiup, in the current language."""
        return [(c.names[0], _(c.description)) for section in self.sections(role) for c in section.commands]

    # -- handling ---------------------------------------------------------------------------
    async def handle(self, msg: Incoming, send: Send) -> None:
        """Handle one message; ``send`` is called for each reply while the lock is held."""
        async with self._locks.hold(msg.key):
            replies, language = await self._handle_locked(msg)
            # Channels may add words of their own (e.g. "this picture cannot be shown"): same language.
            with i18n.use(language, self.services.settings.timezone):
                for reply in replies:
                    await send(reply)

    async def replies_for(self, msg: Incoming) -> list[Reply]:
        collected: list[Reply] = []

        async def collect(reply: Reply) -> None:
            collected.append(reply)

        await self.handle(msg, collect)
        return collected

    async def _handle_locked(self, msg: Incoming) -> tuple[list[Reply], str]:
        if personal_log.isEnabledFor(logging.DEBUG):
            personal_log.debug("%s (%s): %r", msg.key, msg.display_name, msg.text or msg.payload)
        person = await self.load_person(msg)
        with i18n.use(person.language, self.services.settings.timezone):
            state = ConversationState()
            if person.user is not None:
                state = await self.services.store.read.conversations.load(person.user.id)
            in_flow = self._active(state) is not None
            typed = self._typed_choice(msg, state, in_flow)
            turn = Turn(
                msg=_with_payload(msg, typed.chosen.key) if typed.chosen is not None else msg,
                person=person,
                state=state,
                services=self.services,
                router=self,
            )
            try:
                await self._dispatch(turn, typed)
            except Forbidden as refused:
                turn.say(refused.text())
            except Exception:
                log.exception(
                    "handler failed: channel=%s flow=%s step=%s", msg.channel, state.flow, state.step
                )
                turn.replies = [Reply(_("Sorry, something went wrong on our side. Please try again."))]
            if turn.person.user is not None:
                await self._save_state(turn)
                self._sync_menu(turn.person)
            self.services.wake_delivery()
            return turn.replies, turn.person.language

    async def load_person(self, msg: Incoming) -> Person:
        store = self.services.store.read
        settings = self.services.settings
        user = await store.users.by_key(msg.key)
        language = i18n.pick_language(
            user.language if user else None, msg.language, settings.default_language
        )
        person = Person(
            key=msg.key,
            channel=msg.channel,
            chat_id=msg.chat_id,
            display_name=msg.display_name,
            language=language,
            user=user,
        )
        if user is None:
            return person
        person.is_admin = msg.key in settings.admin_ids or any(r.role == "admin" for r in user.roles)
        officer = next((r for r in user.roles if r.role == "officer"), None)
        if officer is not None and officer.area_id:
            person.officer_area = await store.areas.get(officer.area_id)
        if user.area_id:
            person.area = await store.areas.get(user.area_id)
        if user.chat_id != msg.chat_id or user.display_name != msg.display_name[:128] or not user.reachable:
            async with self.services.store.write() as tx:
                await tx.users.touch_contact(
                    user.id, msg.chat_id, msg.display_name, self.services.clock.now()
                )
        return person

    def _active(self, state: ConversationState) -> StepFlow | None:
        flow = self.flows.get(state.flow or "")
        return flow if flow is not None and flow.has_step(state.step) else None

    @staticmethod
    def _typed_choice(msg: Incoming, state: ConversationState, in_flow: bool) -> Match:
        """What a typed message picks from the buttons on screen (its ``chosen.key`` is the
        button's payload). Inside a form only a number or a button's whole label or alias is
        taken here: the step reads other words against all its options itself."""
        menu = Menu.of(state.menu)
        if msg.payload is not None or not msg.text or not menu or msg.text.strip().startswith("/"):
            return Match()
        found = match(msg.text, menu.options())
        if in_flow and found.chosen is not None and number_in(msg.text) is None:
            exact = match(msg.text, menu.options(), exact=True)
            return exact if exact.chosen is not None else Match()
        return found

    async def _dispatch(self, turn: Turn, typed: Match) -> None:
        msg, state = turn.msg, turn.state
        active = self.flows.get(state.flow or "")
        photo_wanted = active is not None and state.step in active.photo_steps
        if msg.unsupported or (msg.photo is not None and not photo_wanted):
            turn.say(_("Sorry, I can only read text messages. Please type your message."))
            flow = self.flows.get(state.flow or "")
            if flow is not None and flow.has_step(state.step):
                await flow.ask(turn)
            return
        text = (msg.text or "").strip()
        if text.startswith("/"):
            name, _sep, args = text[1:].partition(" ")
            name = name.split("@", 1)[0].lower()
            await self.run_command(turn, name, args.strip())
            return
        if msg.payload is not None and msg.payload.startswith("cmd:"):
            await self.run_command(turn, msg.payload[4:], "")
            return
        if turn.person.user is None:
            await self.guest(turn)
            return
        if msg.payload is not None:
            anywhere = self._anywhere.get(msg.payload.split(":", 1)[0])
            if anywhere is not None:
                await anywhere(turn)
                return
        flow = self._active(state)
        if flow is not None:
            if msg.payload is None and words().is_stop(text):
                await self.run_command(turn, "huy", "")
                return
            if msg.payload == GO_ON:  # "go on" after an unknown command: the step again
                await flow.ask(turn)
                return
            await flow.handle(turn)
            return
        if state.flow:  # a flow or step that no longer exists (after an upgrade): drop it
            state.clear_flow()
        if msg.payload is not None:
            prefix = msg.payload.split(":", 1)[0]
            handler = self.payload_handlers.get(prefix)
            if handler is not None:
                await handler(turn)
                return
            turn.say(_("That button is no longer active. Here is what you can do now:"))
            await self.run_command(turn, "help", "")
            return
        typed_command = self._typed_command(text)
        if typed_command is not None:
            await self.run_command(turn, typed_command, "")
            return
        if await self._menu_missed(turn, typed):
            return
        if self._fallback is not None:
            await self._fallback(turn)

    async def _menu_missed(self, turn: Turn, typed: Match) -> bool:
        """Typed words or a number that try for a choice and miss: say so, with the menu again."""
        text = (turn.msg.text or "").strip()
        menu = turn.menu
        if not menu:
            if number_in(text) is not None:
                turn.say(_("There is no list on screen to choose from by number. Here is what you can do:"))
                await self.run_command(turn, "help", "")
                return True
            return False
        if typed.ambiguous:
            turn.say(_("Which one do you mean?"), menu.buttons(o.key for o in typed.candidates))
            return True
        if typed.number is not None:
            hint = _("There is no number {number} in the list. Please choose a number from 1 to {count}:")
            turn.say(hint.format(number=typed.number, count=len(menu)), menu.buttons())
            return True
        if looks_like_a_choice(text, menu.options()):
            turn.say(
                _("Sorry, I did not catch which one you mean. Please choose one of these:"), menu.buttons()
            )
            return True
        return False

    async def _resume(self, turn: Turn) -> None:
        """ "Go on" outside a form: back to the step of the one stopped on "thôi…" (``StepFlow.stop``)."""
        kept = turn.state.draft.pop(RESUME_KEY, None)
        flow = self.flows.get(kept.get("flow", "")) if isinstance(kept, dict) else None
        if kept is None or flow is None or not flow.has_step(kept.get("step")):
            turn.say(_("That button is no longer active. Here is what you can do now:"))
            await self.run_command(turn, "help", "")
            return
        turn.state.flow, turn.state.step, turn.state.draft = flow.name, kept["step"], dict(kept["draft"])
        await flow.ask(turn)

    async def guest(self, turn: Turn) -> None:
        """A message from someone without consent: the first handler of the chain that answers."""
        for handler in self._guests:
            if await handler(turn):
                return

    def _typed_command(self, text: str) -> str | None:
        """A command typed as words without its slash ("khai bao", "lich hoc"): Zalo shows no
        command menu, and older people type what they read. Only the whole message counts."""
        words = fold(text).strip(" .!?")
        if not words or len(words) > 24:
            return None
        name = words.replace(" ", "")
        return name if name in self.commands and name not in ("start", "batdau") else None

    async def run_command(self, turn: Turn, name: str, args: str) -> None:
        command = self.commands.get(name)
        if command is None:
            # The name is what the person typed: escaped (Telegram refuses broken HTML, and a
            # crafted name must not render as a link) and cut short.
            shown = esc(name[:MAX_COMMAND_SHOWN] + ("…" if len(name) > MAX_COMMAND_SHOWN else ""))
            turn.say(_("I do not know the command /{name}.").format(name=shown))
            if "help" in self.commands:
                await self.commands["help"].handler(turn, "")
            # The form's question is off screen now, and a number typed next must not answer it
            # unseen: "go on" shows it again.
            active = self._active(turn.state)
            if active is not None and turn.person.user is not None:
                turn.say(
                    _(
                        "You are in the middle of: {title}. Choose “Go on” to continue, or type /huy to stop."
                    ).format(title=_(active.title)),
                    [go_on_button()],
                )
            return
        if turn.person.role < command.role:
            if turn.person.role == Role.GUEST:
                await self.guest(turn)
                return
            turn.say(Forbidden().text())
            return
        active = self.flows.get(turn.state.flow or "")
        if command.starts_flow and active is not None and active.has_step(turn.state.step):
            turn.say(
                _("You are in the middle of: {title}. Finish it, or type /huy to cancel it first.").format(
                    title=_(active.title)
                )
            )
            await active.ask(turn)
            return
        await command.handler(turn, args)
        # After a side command (help, language…), remind the person where the flow stands.
        if not command.starts_flow and active is not None and turn.state.flow == active.name:
            if active.has_step(turn.state.step):
                await active.ask(turn)

    def _sync_menu(self, person: Person) -> None:
        """Officers and administrators get a command menu of their own in their chat (where the
        platform has one): at their first message since the bot started and whenever their role
        or language changes; someone who is no longer an officer goes back to the default menu.
        Families keep the default menu the channels set at start."""
        key = person.key
        wanted = (person.role, person.language)
        before = self._menus_set.get(key)
        if before == wanted or (before is None and person.role < Role.OFFICER):
            return
        self._menus_set.pop(key, None)
        self._menus_set[key] = wanted
        while len(self._menus_set) > MAX_MENUS_REMEMBERED:  # bounded: the oldest is set again if needed
            self._menus_set.pop(next(iter(self._menus_set)))
        commands = None
        if person.role >= Role.OFFICER:
            with i18n.use(person.language):
                commands = self.menu_commands(person.role)
        self.services.menus.update(person.channel, person.chat_id, commands)

    async def _save_state(self, turn: Turn) -> None:
        user = turn.person.user
        assert user is not None
        # A menu is live only while it is the last thing shown: any new message replaces it.
        last = turn.replies[-1] if turn.replies else None
        if last is not None:
            turn.state.menu = Menu.from_buttons(last.flat_buttons).saved()
        async with self.services.store.write() as tx:
            # The person may have deleted their data during this turn.
            if await tx.users.by_id(user.id) is not None:
                await tx.conversations.save(user.id, turn.state, self.services.clock.now())


def _with_payload(msg: Incoming, payload: str) -> Incoming:
    return dataclasses.replace(msg, payload=payload)
