"""Officers' side of sessions: create, list, edit, cancel, sign-up lists, CSV export, attendance.

Every action checks on the server that the person is an officer of the session's area (or an
admin): button payloads can be forged.
"""

from __future__ import annotations

from datetime import timedelta

from bot import i18n
from bot.context import Turn
from bot.i18n import _
from bot.model import Attachment, Button, Reply
from bot.text import ID_MAX, esc, parse_int
from handlers.training import render as messages
from handlers.training import service
from handlers.training.flows import CANCEL_SESSION_FLOW, SESSION_FLOW, edit_draft
from storage.sessions import TrainingSession

PAGE_SIZE = 6
LIST_LIMIT = 50  # names shown in chat; the CSV has everyone
ATTENDANCE_PAGE = 8
ATTENDANCE_FROM = timedelta(hours=2)  # marking opens this long before the start
RECENT = timedelta(days=14)  # past sessions stay in the officer's list this long (attendance)


async def managed_session(turn: Turn, session_id: int) -> TrainingSession | None:
    """The session if this person is an officer of its area or an admin; else say why not."""
    store = turn.services.store.read
    turn.person.require_officer()
    session = await store.sessions.get(session_id)
    area = await store.areas.get(session.area_id) if session else None
    if session is None or area is None:
        turn.say(_("I could not find that session."))
        return None
    if not turn.person.can_see(area):
        turn.say(_("Sorry, you can only manage sessions in your own area."))
        return None
    return session


async def create_command(turn: Turn, args: str) -> None:
    turn.person.scope()  # officers of an area, and administrators
    turn.say(_("Let us create a training session. You can type /huy at any step to stop."))
    await SESSION_FLOW.start(turn)


async def my_sessions_command(turn: Turn, args: str) -> None:
    await show_list(turn, 0)


async def show_list(turn: Turn, page: int) -> None:
    store = turn.services.store.read
    since = turn.services.clock.now() - RECENT
    scope = turn.person.scope().path
    total = await store.sessions.count_in_scope(scope, since)
    if total == 0:
        turn.say(_("There are no sessions in your area yet. Create one with /taolop."))
        return
    pages = -(-total // PAGE_SIZE)
    page = max(0, min(page, pages - 1))
    sessions = await store.sessions.in_scope(scope, since, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    counts = await store.sessions.signups.counts([s.id for s in sessions])
    title = _("<b>Sessions in your area</b> (recent and upcoming)")
    if pages > 1:
        title += " " + _("(page {page} of {pages})").format(page=page + 1, pages=pages)
    lines = [title]
    buttons = []
    for number, session in enumerate(sessions, 1):
        confirmed, waiting = counts[session.id]
        state = _(" — cancelled") if session.cancelled else ""
        lines.append("")
        lines.append(f"{number}. <b>{esc(session.title)}</b>{state}")
        lines.append(messages.when_line(session))
        lines.append(
            _("👥 {taken} of {capacity} places taken").format(
                taken=i18n.fmt_number(confirmed), capacity=i18n.fmt_number(session.capacity)
            )
            + (" · " + _("{count} waiting").format(count=i18n.fmt_number(waiting)) if waiting else "")
        )
        buttons.append(Button(messages.button_label(session), f"tro:m:{session.id}"))
    if page > 0:
        buttons.append(Button(_("◀ Previous"), f"tro:p:{page - 1}", ("@previous",)))
    if page + 1 < pages:
        buttons.append(Button(_("Next ▶"), f"tro:p:{page + 1}", ("@more",)))
    turn.say("\n".join(lines), buttons)


async def show_manage(turn: Turn, session: TrainingSession) -> None:
    store = turn.services.store.read
    confirmed, waiting = (await store.sessions.signups.counts([session.id]))[session.id]
    area = await store.areas.get(session.area_id)
    lines = [_("<b>Managing session number {id}</b>").format(id=session.id)]
    lines += messages.session_lines(session)
    lines.append(
        _("For: {audience} · Area: {area}").format(
            audience=messages.audience_label(session.audience), area=esc(area.name if area else "")
        )
    )
    lines.append(
        _("Signed up: {confirmed} of {capacity} places · waiting list: {waiting}").format(
            confirmed=i18n.fmt_number(confirmed),
            capacity=i18n.fmt_number(session.capacity),
            waiting=i18n.fmt_number(waiting),
        )
    )
    lines.append(_("Reminders: {offsets}").format(offsets=messages.fmt_offsets(session.reminder_offsets)))
    begun = session.starts_at <= turn.services.clock.now()
    buttons = [
        Button(_("Sign-up list"), f"tro:l:{session.id}", ("@list", "danh sach dang ky", "ai dang ky")),
        Button(_("Export CSV"), f"tro:x:{session.id}", ("xuat", "csv", "tai ve", "export")),
        Button(_("Attendance"), f"tro:a:{session.id}:0", ("diem danh", "co mat")),
    ]
    if session.cancelled:
        lines.append(_("❌ This session has been cancelled."))
    elif not begun:
        buttons.append(Button(_("Edit"), f"tro:e:{session.id}", ("@edit",)))
        buttons.append(Button(_("Cancel the session"), f"tro:k:{session.id}", ("huy buoi", "huy lop", "huy")))
    buttons.append(Button(_("Back to my sessions"), "tro:p:0", ("@back",)))
    turn.say("\n".join(lines), buttons, columns=2)


async def show_signups(turn: Turn, session: TrainingSession) -> None:
    store = turn.services.store.read
    people = await store.sessions.signups.attendees(session.id, limit=LIST_LIMIT + 1)
    confirmed, waiting = (await store.sessions.signups.counts([session.id]))[session.id]
    lines = [
        _("<b>Sign-ups: {title}</b>").format(title=esc(session.title)),
        _("{confirmed} confirmed, {waiting} on the waiting list.").format(
            confirmed=confirmed, waiting=waiting
        ),
    ]
    position = 0
    for number, person in enumerate(people[:LIST_LIMIT], 1):
        if person.status == "confirmed":
            mark = {True: "✅", False: "❌", None: "•"}[person.attended]
        else:
            position += 1
            mark = "⏳" + _("(waiting {position})").format(position=position)
        village = f" — {esc(person.area_name)}" if person.area_name else ""
        lines.append(f"{number}. {mark} {esc(person.display_name) or '—'}{village}")
    if len(people) > LIST_LIMIT:
        lines.append(_("… and more: export the CSV to see everyone."))
    if not people:
        lines.append(_("Nobody has signed up yet."))
    turn.say(
        "\n".join(lines),
        [
            Button(_("Export CSV"), f"tro:x:{session.id}", ("xuat", "csv", "tai ve", "export")),
            Button(_("Back"), f"tro:m:{session.id}", ("@back",)),
        ],
    )


async def export_csv(turn: Turn, session: TrainingSession) -> None:
    services = turn.services
    people = await services.store.read.sessions.signups.attendees(session.id)
    data = service.signups_csv(session, people)
    async with services.store.write() as tx:
        # Names leave the system in this file: keep a record of who took it.
        await tx.audit.record(
            turn.person.key, "training.exported", f"session:{session.id}", services.clock.now()
        )
    day = i18n.local_time(session.starts_at).strftime("%Y-%m-%d")
    turn.add(
        Reply.make(
            _("Sign-up list of {title}: {count} people.").format(title=esc(session.title), count=len(people)),
            document=Attachment(f"dang-ky-{session.id}-{day}.csv", data, "text/csv"),
        )
    )


async def show_attendance(turn: Turn, session: TrainingSession, page: int) -> None:
    now = turn.services.clock.now()
    if session.cancelled:
        turn.say(_("❌ This session has been cancelled."))
        return
    if now < session.starts_at - ATTENDANCE_FROM:
        turn.say(_("Attendance can be marked from 2 hours before the start."))
        return
    people = await turn.services.store.read.sessions.signups.attendees(session.id, ("confirmed",))
    present = sum(1 for p in people if p.attended)
    pages = max(1, -(-len(people) // ATTENDANCE_PAGE))
    page = max(0, min(page, pages - 1))
    shown = people[page * ATTENDANCE_PAGE : (page + 1) * ATTENDANCE_PAGE]
    text = _(
        "<b>Attendance: {title}</b>\nPresent: {present} of {count}. Tap a name to mark present or absent."
    ).format(title=esc(session.title), present=present, count=len(people))
    if pages > 1:
        text += "\n" + _("(page {page} of {pages})").format(page=page + 1, pages=pages)
    if not people:
        text = _("Nobody has a confirmed place in this session.")
    buttons = []
    for person in shown:
        mark = {True: "✅", False: "❌", None: "⬜"}[person.attended]
        buttons.append(
            Button(f"{mark} {person.display_name[:40] or '—'}", f"tro:t:{person.signup_id}:{page}")
        )
    if page > 0:
        buttons.append(Button(_("◀ Previous"), f"tro:a:{session.id}:{page - 1}", ("@previous",)))
    if page + 1 < pages:
        buttons.append(Button(_("Next ▶"), f"tro:a:{session.id}:{page + 1}", ("@more",)))
    buttons.append(Button(_("Done"), f"tro:m:{session.id}", ("@done", "@back")))
    turn.say(text, buttons)


async def toggle_attendance(turn: Turn, signup_id: int, page: int) -> None:
    signup = await turn.services.store.read.sessions.signups.by_id(signup_id)
    if signup is None:
        turn.say(_("I could not find that session."))
        return
    session = await managed_session(turn, signup.session_id)
    if session is None:
        return
    if signup.status != "confirmed" or turn.services.clock.now() < session.starts_at - ATTENDANCE_FROM:
        await show_attendance(turn, session, page)
        return
    # Not marked or absent → present; present → absent.
    await service.mark_attendance(turn.services, signup.id, signup.attended is not True, turn.person.key)
    await show_attendance(turn, session, page)


async def start_edit(turn: Turn, session: TrainingSession) -> None:
    if session.cancelled or session.starts_at <= turn.services.clock.now():
        turn.say(_("This session can no longer be changed."))
        return
    await SESSION_FLOW.start(
        turn,
        edit_draft(
            session.id,
            {
                "title": session.title,
                "start": session.starts_at.isoformat(),
                "duration": session.duration_min,
                "place": session.place,
                "audience": session.audience,
                "area": session.area_id,
                "capacity": session.capacity,
                "description": session.description,
                "offsets": list(session.reminder_offsets),
            },
        ),
        step="confirm",
    )


async def start_cancel(turn: Turn, session: TrainingSession) -> None:
    if session.cancelled or session.starts_at <= turn.services.clock.now():
        turn.say(_("This session can no longer be changed."))
        return
    await CANCEL_SESSION_FLOW.start(turn, {"session_id": session.id})


async def on_button(turn: Turn) -> None:
    parts = (turn.msg.payload or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    numbers = [n for n in (parse_int(p, 0, ID_MAX) for p in parts[2:]) if n is not None]
    turn.person.require_officer()
    if not numbers:
        turn.say(_("That button is no longer active."))
        return
    if action == "p":
        await show_list(turn, numbers[0])
        return
    if action == "t":
        await toggle_attendance(turn, numbers[0], numbers[1] if len(numbers) > 1 else 0)
        return
    session = await managed_session(turn, numbers[0])
    if session is None:
        return
    if action == "m":
        await show_manage(turn, session)
    elif action == "l":
        await show_signups(turn, session)
    elif action == "x":
        await export_csv(turn, session)
    elif action == "a":
        await show_attendance(turn, session, numbers[1] if len(numbers) > 1 else 0)
    elif action == "e":
        await start_edit(turn, session)
    elif action == "k":
        await start_cancel(turn, session)
    else:
        turn.say(_("That button is no longer active."))
