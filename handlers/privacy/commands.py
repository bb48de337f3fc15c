"""The person's own data: see it (/dulieu) and delete it (/xoadulieu)."""

from __future__ import annotations

from collections.abc import Sequence

from bot import accounts, i18n
from bot.context import Answer, Turn
from bot.feature import PersonalData
from bot.flow import DONE, Confirm, StepFlow
from bot.i18n import N_, _
from bot.text import esc

ROLE_NAMES = {"officer": N_("study promotion officer"), "admin": N_("administrator")}
CONFIRM_DELETE = Confirm(N_("Yes, delete my data"), N_("No, keep it"))


async def my_data(turn: Turn, sections: Sequence[PersonalData]) -> None:
    """/dulieu: the profile, then each feature's part (bot.bootstrap passes them in)."""
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
    lines.append(
        _("• Announcements: {state}").format(state=_("on") if user.announcements else _("off (/batthongbao)"))
    )
    messages: list[str] = []
    for section in sections:
        part = await section(turn)
        lines += part.lines
        messages += part.messages
    lines.append("")
    lines.append(_("To delete all of it, send /xoadulieu."))
    turn.say("\n".join(lines))
    for text in messages:
        turn.say(text)


class DeleteFlow(StepFlow):
    name = "delete"
    first_step = "confirm"
    title = N_("deleting your data")

    async def ask_confirm(self, turn: Turn) -> None:
        CONFIRM_DELETE.ask(
            turn,
            _(
                "This deletes everything I store about you: your profile, area and conversation, and your "
                "household's declarations with their history. Anonymous counts in reports stay. This cannot "
                "be undone. Delete now?"
            ),
        )

    async def on_confirm(self, turn: Turn, answer: Answer) -> str:
        if not CONFIRM_DELETE.answer(turn):
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
