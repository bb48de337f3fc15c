"""The person's own data: see it (/dulieu) and delete it (/xoadulieu)."""

from __future__ import annotations

from collections.abc import Sequence

from bot import accounts, i18n
from bot.context import Answer, Turn
from bot.feature import PersonalData
from bot.flow import DONE, Confirm, StepFlow
from bot.i18n import N_, _
from bot.text import esc
from storage.personal import RULES

ROLE_NAMES = {"officer": N_("study promotion officer"), "admin": N_("administrator")}

# One line of /dulieu for each place ``storage.personal`` lists (its rules, by name), with the rows
# held there now: what people are shown and what /xoadulieu deletes come from the same list.
RULE_LABELS = {
    "profile": N_("your profile: {n}"),
    "conversation": N_("where your conversation stands: {n}"),
    "roles": N_("roles: {n}"),
    "declarations": N_("declarations: {n}"),
    "declaration_history": N_("versions and reviews of your declarations: {n}"),
    "signups": N_("sign-ups for sessions: {n}"),
    "reminders": N_("reminders of sessions: {n}"),
    "reminder_prefs": N_("your choice about reminders: {n}"),
    "questions": N_("questions you sent to officers: {n}"),
    "misses": N_("your questions I could not answer, kept to improve my answers: {n}"),
    "outbox": N_("messages to you, waiting or sent: {n}"),
    "outbox_about": N_("messages to officers about you (your question, your declaration): {n}"),
    "inbox": N_("messages received from you, kept a short while without their words: {n}"),
    "audit_actor": N_("entries in the log of who did what: {n}"),
    "audit_subject": N_("entries in that log about you: {n}"),
    "invite_used": N_("the invite you used: {n}"),
    "answers_given": N_("as an officer, questions you answered: {n}"),
    "declaration_acts": N_("as an officer, your acts on declarations: {n}"),
    "reviews": N_("as an officer, declarations you reviewed: {n}"),
    "attendance_marked": N_("as an officer, attendance you marked: {n}"),
    "sessions_created": N_("as an officer, sessions you created: {n}"),
    "broadcasts": N_("as an officer, announcements you wrote: {n}"),
    "invites_created": N_("invites you created: {n}"),
    "roles_granted": N_("roles you granted: {n}"),
}
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
    lines.append(_("<b>Where it is stored</b> (rows):"))
    inventory = await store.personal.inventory(user.id, user.key)
    for rule in RULES:
        if rule.name in inventory:
            lines.append("• " + _(RULE_LABELS[rule.name]).format(n=i18n.fmt_number(inventory[rule.name])))
    lines.append("")
    lines.append(
        _(
            "/xoadulieu deletes your rows, removes your name and words from messages about you, and "
            "keeps what you did as an officer under a pseudonym (deleted-user#{id})."
        ).format(id=user.id)
    )
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
                "This deletes everything I store about you: your profile, area and conversation, your "
                "household's declarations with their history, your sign-ups and reminders, your questions "
                "(also in the messages sent to officers about them) and the messages waiting for you. What "
                "you did as an officer stays under a pseudonym; anonymous counts in reports stay. This "
                "cannot be undone. Delete now?"
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
