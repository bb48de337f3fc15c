"""Officers review declarations of their area: list (paged), open, approve, or return with a reason.

Every action re-checks the role and the area on the server (payloads can be forged), and names the
version the officer saw, so a review of a declaration that changed or was reviewed meanwhile fails.
"""

from __future__ import annotations

from bot import i18n
from bot.context import Answer, Turn
from bot.feature import Lazy
from bot.flow import DONE, Reask, StepFlow
from bot.i18n import N_, _
from bot.model import Button
from bot.router import CommandHandler, Handler
from bot.text import ID_MAX, esc, fold, parse_id, parse_int
from handlers.declaration import service
from handlers.declaration import validate as check
from handlers.declaration.criteria import Criteria
from handlers.declaration.render import (
    action_label,
    assessment_lines,
    changes_lines,
    outcomes_of,
    status_label,
    summary_lines,
)
from storage.declarations import Declaration, HistoryEntry

PAGE_SIZE = 5
BACK = ("@back", "@list")


async def show_page(turn: Turn, page: int) -> None:
    store = turn.services.store.read
    scope = turn.person.scope()
    path = scope.path
    total = await store.declarations.count_pending(path)
    title = esc(scope.area.name) if scope.area is not None else _("all areas")
    if total == 0:
        turn.say(_("No declarations are waiting for review in {area}.").format(area=title))
        return
    pages = -(-total // PAGE_SIZE)
    page = max(0, min(page, pages - 1))
    items = await store.declarations.pending(path, PAGE_SIZE, page * PAGE_SIZE)
    lines = [
        _("<b>Declarations waiting for review — {area}</b> ({count})").format(
            area=title, count=i18n.fmt_number(total)
        )
    ]
    if pages > 1:
        lines.append(_("(page {page} of {pages})").format(page=page + 1, pages=pages))
    buttons: list[Button] = []
    for item in items:
        area = await store.areas.get(item.area_id)
        lines.append(
            _("#{id} {head} — {area} — members: {count} — sent {when}").format(
                id=item.id,
                head=esc(item.head_name),
                area=esc(area.name if area else item.area_id),
                count=len(item.data.get("m", [])),
                when=i18n.fmt_datetime(item.updated_at),
            )
        )
        buttons.append(Button(f"#{item.id} {item.head_name}"[:60], f"rev:o:{item.id}"))
    if page + 1 < pages:
        buttons.append(Button(_("Next page"), f"rev:p:{page + 1}", ("@more",)))
    if page > 0:
        buttons.append(Button(_("Previous page"), f"rev:p:{page - 1}", ("@previous",)))
    lines.append(_("Tap a declaration (or type its number in the list) to open it."))
    turn.say("\n".join(lines), buttons)


async def show_one(turn: Turn, criteria: Criteria, declaration_id: int) -> None:
    store = turn.services.store.read
    item = await store.declarations.get(declaration_id)
    area = await store.areas.get(item.area_id) if item else None
    if item is None or area is None:
        turn.say(_("This declaration no longer exists (the family may have deleted their data)."))
        return
    if not turn.person.can_see(area):
        turn.say(_("Sorry, this declaration is not in your area."))
        return
    chain = await store.areas.ancestors(area.id)
    family = await store.users.by_id(item.user_id)
    lines = [
        _("<b>Declaration #{id} — “Gia đình học tập” {year}</b>").format(id=item.id, year=item.year),
        _("Status: {status} (version {version}, last change {when})").format(
            status=status_label(item.status), version=item.version, when=i18n.fmt_datetime(item.updated_at)
        ),
        _("Declared by: {name}").format(name=esc(family.display_name if family else "—") or "—"),
    ]
    if item.status == "returned" and item.review_reason:
        lines.append(_("The officer's reason: {reason}").format(reason=esc(item.review_reason)))
    where = ", ".join(esc(a.name) for a in reversed(chain))
    history = await store.declarations.history(item.id)
    lines += await _changes(turn, item, history, where)
    lines += summary_lines(item.data, where, item.year)
    twins = await store.declarations.same_head(item.year, item.area_id, fold(item.head_name), item.id)
    if twins:
        lines.append(
            "⚠️ "
            + _(
                "Declaration(s) {ids} in the same area name the same head of household: "
                "please check it is not the same household twice."
            ).format(ids=", ".join(f"#{t}" for t in twins))
        )
    turn.say("\n".join(lines))
    turn.say(
        "\n".join(
            assessment_lines(
                criteria, outcomes_of(item.assessment), item.data, provisional=item.status != "approved"
            )
        )
    )
    entries = [
        _("• {when}: {action} (version {version})").format(
            when=i18n.fmt_datetime(h.at), action=action_label(h.action), version=h.version
        )
        for h in history
    ]
    buttons = [Button(_("Back to the list"), "rev:p:0", BACK)]
    if item.status == "submitted":
        buttons = [
            Button(_("Confirm"), f"rev:a:{item.id}:{item.version}", ("@approve", "dong y", "ok")),
            Button(
                _("Return with a reason"), f"rev:r:{item.id}:{item.version}", ("@return", "tra", "chua dat")
            ),
            *buttons,
        ]
    turn.say(_("<b>History of changes</b>") + "\n" + "\n".join(entries), buttons)


def _base(item: Declaration, history: list[HistoryEntry]) -> tuple[HistoryEntry, HistoryEntry | None] | None:
    """The version to compare the current one with: the last one an officer returned, else the
    one before; with that return (None when it was not returned). None for a first version."""
    if item.version <= 1:
        return None
    sent = {h.version: h for h in history if h.data is not None}
    returned = [h for h in history if h.action == "returned" and h.version < item.version]
    base = returned[-1].version if returned and returned[-1].version in sent else item.version - 1
    if base not in sent:
        return None
    return sent[base], (returned[-1] if returned and returned[-1].version == base else None)


async def _changes(turn: Turn, item: Declaration, history: list[HistoryEntry], where: str) -> list[str]:
    """For an amended declaration: what changed since the version an officer returned (or the
    version before), so the officer need not compare two summaries."""
    found = _base(item, history)
    if found is None:
        return []
    base, returned = found
    assert base.data is not None
    old_area = str(base.data.get("a") or item.area_id)
    old_where = where
    if old_area != item.area_id:
        old_chain = await turn.services.store.read.areas.ancestors(old_area)
        old_where = ", ".join(esc(a.name) for a in reversed(old_chain)) or esc(old_area)
    if returned is not None:
        title = _("<b>What changed since version {version}</b>, which was returned on {when}:").format(
            version=base.version, when=i18n.fmt_datetime(returned.at)
        )
    else:
        title = _("<b>What changed since version {version}</b> ({when}):").format(
            version=base.version, when=i18n.fmt_datetime(base.at)
        )
    changes = changes_lines(base.data, item.data, old_where, where, item.year)
    if not changes:
        return [title, _("Nothing in the declared facts changed."), ""]
    return [title, *changes, ""]


async def report(turn: Turn, criteria: Criteria, result: service.Reviewed, declaration_id: int) -> None:
    """Tell the officer how their review went."""
    if result.problem is None:
        done = result.declaration
        assert done is not None
        if done.status == "approved":
            turn.say(_("Declaration #{id} is confirmed. The family will be told.").format(id=done.id))
        else:
            turn.say(
                _("Declaration #{id} was returned with your reason. The family will be told.").format(
                    id=done.id
                )
            )
        await show_page(turn, 0)
    elif result.problem == "forbidden":
        turn.say(_("Sorry, this declaration is not in your area."))
    elif result.problem == "not_found":
        turn.say(_("This declaration no longer exists (the family may have deleted their data)."))
    elif result.problem == "own":
        turn.say(_("You cannot review your own household's declaration; please ask another officer."))
    else:
        turn.say(
            _(
                "Declaration #{id} was reviewed by someone else or changed by the family in the meantime; "
                "nothing was changed. Here is how it stands now:"
            ).format(id=declaration_id)
        )
        await show_one(turn, criteria, declaration_id)


class ReturnFlow(StepFlow):
    """Ask the officer for the reason before returning a declaration."""

    name = "review_return"
    first_step = "reason"
    title = N_("returning a declaration")

    def __init__(self, criteria: Lazy[Criteria]) -> None:
        self._criteria = criteria

    @property
    def criteria(self) -> Criteria:
        return self._criteria.get()

    async def ask_reason(self, turn: Turn) -> None:
        turn.say(
            _(
                "Why are you returning declaration #{id}? Write what the family should complete or correct; "
                "they will read it. (/huy to cancel)"
            ).format(id=turn.state.draft.get("id"))
        )

    async def on_reason(self, turn: Turn, answer: Answer) -> str:
        if answer.payload is not None:
            raise Reask(_("Please type the reason."))
        reason = check.reason_text(answer.text)
        draft = turn.state.draft
        declaration_id, version = int(draft["id"]), int(draft["v"])
        result = await service.review(turn.services, turn.person, declaration_id, version, "returned", reason)
        turn.state.clear_flow()  # the report below may show buttons outside this flow
        await report(turn, self.criteria, result, declaration_id)
        return DONE


def _ints(parts: list[str]) -> list[int] | None:
    numbers = [parse_int(p, 0, ID_MAX) for p in parts]
    return [n for n in numbers if n is not None] if parts and None not in numbers else None


def make_handlers(criteria: Lazy[Criteria], return_flow: ReturnFlow) -> tuple[CommandHandler, Handler]:
    async def review_command(turn: Turn, args: str) -> None:
        wanted = parse_id(args)
        if wanted is not None:
            await show_one(turn, criteria.get(), wanted)
        else:
            await show_page(turn, 0)

    async def button(turn: Turn) -> None:
        turn.person.require_officer()
        parts = (turn.msg.payload or "").split(":")[1:]
        action, numbers = (parts[0] if parts else ""), _ints(parts[1:])
        if numbers is None:
            turn.say(_("That button is no longer active."))
            return
        if action == "p":
            await show_page(turn, numbers[0])
        elif action == "o":
            await show_one(turn, criteria.get(), numbers[0])
        elif action == "a" and len(numbers) == 2:
            result = await service.review(turn.services, turn.person, numbers[0], numbers[1], "approved")
            await report(turn, criteria.get(), result, numbers[0])
        elif action == "r" and len(numbers) == 2:
            store = turn.services.store.read
            item = await store.declarations.get(numbers[0])
            area = await store.areas.get(item.area_id) if item else None
            if item is None or area is None or not turn.person.can_see(area):
                turn.say(_("Sorry, this declaration is not in your area."))
                return
            await return_flow.start(turn, {"id": numbers[0], "v": numbers[1]})
        else:
            turn.say(_("That button is no longer active."))

    return review_command, button
