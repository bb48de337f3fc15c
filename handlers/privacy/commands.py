"""The person's own data: see it (/dulieu) and delete it (/xoadulieu)."""

from __future__ import annotations

from bot import accounts, i18n
from bot.context import Answer, Role, Turn
from bot.flow import DONE, Reask, StepFlow, yes_no
from bot.i18n import N_, _
from bot.model import Button
from bot.router import Command, Router
from bot.text import esc
from handlers.declaration.render import action_label, status_label, summary_lines
from handlers.declaration.service import current_year

ROLE_NAMES = {"officer": N_("study promotion officer"), "admin": N_("administrator")}


async def my_data(turn: Turn, args: str) -> None:
    user = turn.person.user
    assert user is not None
    store = turn.services.store.read
    chain = await store.areas.ancestors(user.area_id) if user.area_id else []
    area = ", ".join(esc(a.name) for a in reversed(chain)) or _("(not chosen)")
    lines = [
        _("<b>Everything I store about you</b>"),
        _("• Identity: {channel} {user_id}").format(
            channel=esc(user.channel), user_id=esc(user.key.split(":", 1)[1])
        ),
        _("• Name shown on the app: {name}").format(name=esc(user.display_name) or "—"),
        _("• Language: {language}").format(language="Tiếng Việt" if user.language == "vi" else "English"),
        _("• Area: {area}").format(area=area),
        _("• Consent given: {when}").format(when=i18n.fmt_datetime(user.consent_at)),
    ]
    for role in user.roles:
        role_area = await store.areas.get(role.area_id) if role.area_id else None
        label = _(ROLE_NAMES.get(role.role, role.role))
        lines.append(
            _("• Role: {role} {area}")
            .format(role=label, area=esc(role_area.name) if role_area else "")
            .rstrip()
        )
    if turn.state.flow == "declare":
        draft = turn.state.draft
        where = ", ".join(esc(a.name) for a in reversed(await store.areas.ancestors(draft.get("a") or "")))
        lines.append(_("• A declaration you have started but not sent yet (saved after each answer):"))
        year = int(draft.get("yr") or current_year(turn.services))
        lines += ["   " + line for line in summary_lines(draft, where, year)]
    reviews = await store.declarations.reviews_by(user.id)
    if reviews:
        lines.append(_("• Declarations you reviewed as an officer: {count}").format(count=reviews))
    lines.append(
        _("• Announcements: {state}").format(state=_("on") if user.announcements else _("off (/batthongbao)"))
    )
    signups = await store.sessions.signups.history_for_user(user.id)
    if signups:
        lines.append(_("• Training sessions you signed up for:"))
        status_names = {
            "confirmed": _("place confirmed"),
            "waiting": _("waiting list"),
            "cancelled": _("cancelled"),
        }
        for title, starts_at, status, attended in signups:
            note = status_names.get(status, status)
            if attended is not None:
                note += ", " + (_("attended") if attended else _("absent"))
            lines.append(f"   {esc(title)} — {i18n.fmt_datetime(starts_at)}: {note}")
    questions = await store.questions.by_user(user.id)
    if questions:
        lines.append(_("• Questions you sent to an officer:"))
        for question in questions:
            state = _("answered") if question.answered_at else _("waiting for an answer")
            lines.append(f"   “{esc(question.text[:120])}” ({state})")
    lines.append("")
    lines.append(_("To delete all of it, send /xoadulieu."))
    turn.say("\n".join(lines))
    for text in await declaration_texts(turn):
        turn.say(text)


async def declaration_texts(turn: Turn) -> list[str]:
    """Each declaration of the person's household, in full, with its history of changes."""
    user = turn.person.user
    assert user is not None
    store = turn.services.store.read
    texts = []
    for item in await store.declarations.all_for_user(user.id):
        chain = await store.areas.ancestors(item.area_id)
        lines = [
            _("<b>Your household's declaration — “Gia đình học tập” {year}</b>").format(year=item.year),
            _("Status: {status} (version {version}, last change {when})").format(
                status=status_label(item.status),
                version=item.version,
                when=i18n.fmt_datetime(item.updated_at),
            ),
        ]
        if item.review_reason:
            lines.append(_("The officer's reason: {reason}").format(reason=esc(item.review_reason)))
        lines += summary_lines(item.data, ", ".join(esc(a.name) for a in reversed(chain)), item.year)
        lines.append(_("<b>History of changes</b>"))
        for entry in await store.declarations.history(item.id):
            lines.append(
                _("• {when}: {action} (version {version})").format(
                    when=i18n.fmt_datetime(entry.at), action=action_label(entry.action), version=entry.version
                )
            )
        texts.append("\n".join(lines))
    return texts


class DeleteFlow(StepFlow):
    name = "delete"
    first_step = "confirm"
    title = N_("deleting your data")

    async def ask_confirm(self, turn: Turn) -> None:
        turn.say(
            _(
                "This deletes everything I store about you: your profile, area and conversation, and your "
                "household's declarations with their history. Anonymous counts in reports stay. This cannot "
                "be undone. Delete now?"
            ),
            [Button(_("Yes, delete my data"), "confirm:yes"), Button(_("No, keep it"), "confirm:no")],
        )

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        agreed = yes_no(answer, "confirm")
        if agreed is None:
            raise Reask(_("Please answer yes or no (or tap a button)."))
        if not agreed:
            turn.say(_("Nothing was deleted."))
            return DONE
        user = turn.person.user
        assert user is not None
        await accounts.delete_person(turn.services, user)
        turn.person.user = None
        turn.say(_("Done: your data has been deleted. Goodbye! Send /start if you want to come back."))
        return DONE


DELETE_FLOW = DeleteFlow()


async def delete_command(turn: Turn, args: str) -> None:
    await DELETE_FLOW.start(turn)


def register(router: Router) -> None:
    router.add_flow(DELETE_FLOW)
    router.add_command(
        Command(("dulieu", "mydata"), my_data, Role.FAMILY, N_("see the data I store about you"))
    )
    router.add_command(
        Command(
            ("xoadulieu", "deletedata"), delete_command, Role.FAMILY, N_("delete your data"), starts_flow=True
        )
    )
