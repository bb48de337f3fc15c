"""Training sessions: the upcoming sessions for the person's area and role."""

from __future__ import annotations

from bot import i18n
from bot.context import Role, Turn
from bot.i18n import N_, _
from bot.router import Command, Router
from bot.text import esc


async def schedule_command(turn: Turn, args: str) -> None:
    store = turn.services.store.read
    person = turn.person
    home = person.officer_area or person.area
    if home is None and person.role < Role.ADMIN:
        turn.say(_("Please choose your area first with /khuvuc."))
        return
    if person.role == Role.ADMIN:
        paths = [a.path for a in await store.areas.all()]
    else:
        assert home is not None
        # Sessions of the ward reach its villages; an officer also sees those below their area.
        chain = await store.areas.ancestors(home.id)
        below = await store.areas.subtree(home.id) if person.role >= Role.OFFICER else []
        paths = sorted({a.path for a in chain + below})
    audiences = ("family", "officer", "all") if person.role >= Role.OFFICER else ("family", "all")
    sessions = await store.sessions.upcoming(paths, audiences, turn.services.clock.now())
    if not sessions:
        turn.say(_("There are no upcoming training sessions for your area yet."))
        return
    lines = [_("<b>Upcoming training sessions</b>")]
    for session in sessions:
        lines.append("")
        lines.append(f"<b>{esc(session.title)}</b>")
        lines.append(
            _("🕗 {when} ({minutes} minutes)").format(
                when=i18n.fmt_datetime(session.starts_at), minutes=session.duration_min
            )
        )
        lines.append(_("📍 {place}").format(place=esc(session.place)))
        if session.description:
            lines.append(esc(session.description))
    turn.say("\n".join(lines))


def register(router: Router) -> None:
    router.add_command(
        Command(("lichhoc", "sessions"), schedule_command, Role.FAMILY, N_("upcoming training sessions"))
    )
