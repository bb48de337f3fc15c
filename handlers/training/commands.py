"""Training sessions for everyone: the list, sign-up and cancel, and the reminder setting.

Buttons (``tr:…``) are accelerators: the list's numbers and labels can be typed, and
``/lichhoc 12`` / ``/huydangky 12`` reach a session by its number.
"""

from __future__ import annotations

from bot import i18n
from bot.choice import Option, match
from bot.context import Role, Turn
from bot.i18n import _
from bot.model import Button
from bot.text import ID_MAX, esc, parse_id, parse_int
from handlers.training import render as messages
from handlers.training import service
from handlers.training.flows import training_problem
from storage.sessions import TrainingSession

PAGE_SIZE = 5
BACK = ("@back", "@list")
LEAVE = ("roi", "huy", "khong cho nua", "@cancel")


async def visible_scope(turn: Turn) -> tuple[list[str], tuple[str, ...]] | None:
    """Area paths and audiences of the sessions this person may see; None without a home area."""
    store = turn.services.store.read
    person = turn.person
    audiences = ("family", "officer", "all") if person.role >= Role.OFFICER else ("family", "all")
    if person.role == Role.ADMIN:
        return [a.path for a in await store.areas.all()], audiences
    home = person.officer_area or person.area
    if home is None:
        return None
    # Sessions of the ward reach its villages; an officer also sees those below their area.
    chain = await store.areas.ancestors(home.id)
    below = await store.areas.subtree(home.id) if person.role >= Role.OFFICER else []
    return sorted({a.path for a in chain + below}), audiences


async def _visible_session(turn: Turn, session_id: int) -> TrainingSession | None:
    """The session if this person may see it (checked on the server: payloads can be forged)."""
    store = turn.services.store.read
    session = await store.sessions.get(session_id)
    scope = await visible_scope(turn)
    if session is not None and scope is not None:
        area = await store.areas.get(session.area_id)
        paths, audiences = scope
        if area is not None and area.path in paths and session.audience in audiences:
            return session
    turn.say(_("I could not find that session."))
    return None


# -- the list --------------------------------------------------------------------------------
async def schedule_command(turn: Turn, args: str) -> None:
    number = parse_id(args)
    if number is not None:
        await show_session(turn, number)
        return
    await show_list(turn, 0)


async def show_list(turn: Turn, page: int) -> None:
    store = turn.services.store.read
    scope = await visible_scope(turn)
    if scope is None:
        turn.say(_("Please choose your area first with /khuvuc."))
        return
    paths, audiences = scope
    now = turn.services.clock.now()
    total = await store.sessions.count_upcoming(paths, audiences, now)
    if total == 0:
        turn.say(_("There are no upcoming training sessions for your area yet."))
        return
    pages = -(-total // PAGE_SIZE)
    page = max(0, min(page, pages - 1))
    sessions = await store.sessions.upcoming(paths, audiences, now, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    ids = [s.id for s in sessions]
    counts = await store.sessions.signups.counts(ids)
    mine = await store.sessions.signups.statuses_for(turn.person.user_id, ids)
    title = _("<b>Upcoming training sessions</b>")
    if pages > 1:
        title += " " + _("(page {page} of {pages})").format(page=page + 1, pages=pages)
    lines = [title]
    buttons: list[Button] = []
    for number, session in enumerate(sessions, 1):
        confirmed, waiting = counts[session.id]
        lines.append("")
        lines.append(f"{number}. <b>{esc(session.title)}</b>")
        lines.append(messages.when_line(session))
        lines.append(messages.place_line(session.place))
        lines.append(_places_line(session, confirmed, waiting, mine.get(session.id)))
        buttons.append(Button(messages.button_label(session), f"tr:v:{session.id}"))
    lines.append("")
    lines.append(_("Tap a session (or type its number) to see it and sign up."))
    if page > 0:
        buttons.append(Button(_("◀ Previous"), f"tr:p:{page - 1}", ("@previous",)))
    if page + 1 < pages:
        buttons.append(Button(_("Next ▶"), f"tr:p:{page + 1}", ("@more",)))
    turn.say("\n".join(lines), buttons)


def _places_line(session: TrainingSession, confirmed: int, waiting: int, mine: str | None) -> str:
    line = _("👥 {taken} of {capacity} places taken").format(
        taken=i18n.fmt_number(confirmed), capacity=i18n.fmt_number(session.capacity)
    )
    if waiting:
        line += " · " + _("{count} waiting").format(count=i18n.fmt_number(waiting))
    if mine == "confirmed":
        line += " · " + _("✅ you are signed up")
    elif mine == "waiting":
        line += " · " + _("⏳ you are on the waiting list")
    return line


async def show_session(turn: Turn, session_id: int) -> None:
    session = await _visible_session(turn, session_id)
    if session is None:
        return
    store = turn.services.store.read
    confirmed, waiting = (await store.sessions.signups.counts([session.id]))[session.id]
    signup = await store.sessions.signups.get(session.id, turn.person.user_id)
    status = signup.status if signup is not None else None
    lines = messages.session_lines(session)
    lines.append(_("For: {audience}").format(audience=messages.audience_label(session.audience)))
    lines.append(_places_line(session, confirmed, waiting, None))
    lines.append("")
    buttons: list[Button] = []
    begun = session.starts_at <= turn.services.clock.now()
    if session.cancelled:
        lines.append(_("❌ This session has been cancelled."))
    elif begun:
        lines.append(_("This session has already begun."))
    elif status == "confirmed":
        lines.append(_("✅ You are signed up."))
        buttons.append(messages.cancel_place_button(session.id))
    elif status == "waiting":
        position = await store.sessions.signups.waiting_position(session.id, turn.person.user_id)
        lines.append(_("⏳ You are on the waiting list (number {position}).").format(position=position))
        buttons.append(Button(_("Leave the waiting list"), f"tr:c:{session.id}", LEAVE))
    else:
        full = confirmed >= session.capacity
        lines.append(
            _("The session is full, but you can join the waiting list.")
            if full
            else _("Places are available.")
        )
        label = _("Join the waiting list") if full else _("Sign up")
        buttons.append(Button(label, f"tr:s:{session.id}", ("@register", "cho doi")))
    area = await store.areas.get(session.area_id)
    if area is not None and turn.person.can_see(area):
        buttons.append(Button(_("Manage (officers)"), f"tro:m:{session.id}", ("quan ly", "manage")))
    buttons.append(Button(_("Back to the list"), "tr:p:0", BACK))
    turn.say("\n".join(lines), buttons)


# -- sign up and cancel ------------------------------------------------------------------------
async def sign_up(turn: Turn, session_id: int) -> None:
    session = await _visible_session(turn, session_id)
    if session is None:
        return
    user = turn.person.user
    assert user is not None
    try:
        result = await service.sign_up(turn.services, user, session.id)
    except service.TrainingError as problem:
        turn.say(training_problem(problem.code))
        return
    title = f"<b>{esc(session.title)}</b>"
    back = Button(_("Back to the list"), "tr:p:0", BACK)
    if result.outcome in ("confirmed", "already_confirmed"):
        lines = [
            _("✅ You are signed up for {title}.").format(title=title)
            if result.outcome == "confirmed"
            else _("You are already signed up for {title}.").format(title=title),
            messages.when_line(session),
            messages.place_line(session.place),
        ]
        if session.reminder_offsets:
            if await turn.services.store.read.sessions.reminders.enabled(user.id):
                offsets = messages.fmt_offsets(session.reminder_offsets)
                lines.append(_("I will remind you {offsets}.").format(offsets=offsets))
            else:
                lines.append(_("Your reminders are turned off; turn them on with /nhacnho."))
        turn.say("\n".join(lines), [messages.cancel_place_button(session.id), back])
        return
    text = (
        _("The session is full. You are on the waiting list for {title}, number {position}.")
        if result.outcome == "waiting"
        else _("You are already on the waiting list for {title}, number {position}.")
    ).format(title=title, position=result.position)
    text += "\n" + _("If a place opens up, you get it in turn and I will tell you.")
    turn.say(text, [Button(_("Leave the waiting list"), f"tr:c:{session.id}", LEAVE), back])


async def ask_cancel(turn: Turn, session_id: int) -> None:
    store = turn.services.store.read
    session = await store.sessions.get(session_id)
    signup = await store.sessions.signups.get(session_id, turn.person.user_id) if session else None
    if session is None or signup is None or signup.status == "cancelled" or session.cancelled:
        turn.say(_("You are not signed up for that session."))
        return
    question = (
        _("Cancel your place at {title}?")
        if signup.status == "confirmed"
        else _("Leave the waiting list of {title}?")
    ).format(title=f"<b>{esc(session.title)}</b>")
    turn.say(
        "\n".join([question, messages.when_line(session)]),
        [
            Button(_("Yes, cancel"), f"tr:cy:{session_id}", ("@yes",)),
            Button(_("No, keep my place"), f"tr:cn:{session_id}", ("@no", "giu", "van di")),
        ],
    )


async def cancel(turn: Turn, session_id: int) -> None:
    user = turn.person.user
    assert user is not None
    try:
        result = await service.cancel_signup(turn.services, user, session_id)
    except service.TrainingError as problem:
        turn.say(training_problem(problem.code))
        return
    title = f"<b>{esc(result.session.title)}</b>"
    if result.was == "confirmed":
        turn.say(_("Your place at {title} is cancelled. Thank you for letting us know.").format(title=title))
    else:
        turn.say(_("You have left the waiting list of {title}.").format(title=title))


async def leave_command(turn: Turn, args: str) -> None:
    """/huydangky 12 — or, without a number, a choice among the person's own sign-ups."""
    number = parse_id(args)
    if number is not None:
        await ask_cancel(turn, number)
        return
    store = turn.services.store.read
    mine = await store.sessions.signups.upcoming_for_user(turn.person.user_id, turn.services.clock.now())
    if not mine:
        turn.say(_("You are not signed up for any upcoming session. See them with /lichhoc."))
        return
    buttons = []
    for session_id, _status in mine[:10]:
        session = await store.sessions.get(session_id)
        if session is not None:
            buttons.append(Button(messages.button_label(session), f"tr:c:{session_id}"))
    turn.say(_("Which sign-up do you want to cancel?"), buttons)


# -- reminders on/off ---------------------------------------------------------------------------
def _switches() -> list[Option]:
    return [
        Option("tr:n:on", _("Turn reminders on"), ("@on", "@yes")),
        Option("tr:n:off", _("Turn reminders off"), ("@off", "@no")),
    ]


async def reminders_command(turn: Turn, args: str) -> None:
    """/nhacnho, or /nhacnho tat (bat, off, on…): the same words as the switch's button."""
    if args.strip():
        wanted = match(args, _switches(), numbers=False).chosen
        if wanted is not None:
            await set_reminders(turn, wanted.key.endswith(":on"))
            return
    enabled = await turn.services.store.read.sessions.reminders.enabled(turn.person.user_id)
    on, off = _switches()
    if enabled:
        text = _("Reminders before your training sessions are <b>on</b>.")
        switch = off
    else:
        text = _("Reminders before your training sessions are <b>off</b>.")
        switch = on
    turn.say(text, [Button(switch.label, switch.key, switch.aliases)])


async def set_reminders(turn: Turn, enabled: bool) -> None:
    user = turn.person.user
    assert user is not None
    await service.set_reminders(turn.services, user, enabled)
    if enabled:
        turn.say(_("Reminders are on: I will remind you before the sessions you signed up for."))
    else:
        turn.say(_("Reminders are off. You can turn them on again with /nhacnho."))


# -- buttons -----------------------------------------------------------------------------------
async def on_button(turn: Turn) -> None:
    parts = (turn.msg.payload or "").split(":")
    action, value = [*parts, "", ""][1:3]
    if action == "n":
        await set_reminders(turn, value == "on")
        return
    number = parse_int(value, 0, ID_MAX)
    if number is None:
        turn.say(_("That button is no longer active."))
        return
    handlers = {
        "p": show_list,
        "v": show_session,
        "s": sign_up,
        "c": ask_cancel,
        "cy": cancel,
    }
    if action == "cn":
        turn.say(_("Fine, your place is kept."))
    elif action in handlers:
        await handlers[action](turn, number)
    else:
        turn.say(_("That button is no longer active."))
