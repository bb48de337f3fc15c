"""Weekly figures for officers and administrators: /thongke (table and chart), /xuatbaocao (files).

Officers see their own area and what lies below it; administrators see everything. Every area
asked for, typed or by a button, is checked here on the server: button payloads can be forged.
"""

from __future__ import annotations

import asyncio
import hashlib

from bot.context import Role, Turn
from bot.i18n import _, ngettext
from bot.model import Attachment, Button, Reply
from bot.text import esc, fold, parse_int
from handlers.reports.build import DEFAULT_WEEKS, MAX_WEEKS, build_report, find_areas, top_scope
from handlers.reports.chart import render_png
from handlers.reports.export import attachments, file_stem
from handlers.reports.model import WeeklyReport
from handlers.reports.render import MAX_CHAT_AREAS, breakdown_text, period_text, weekly_text
from storage.areas import Area

VIEW = "rpt"  # rpt:<weeks>:<area>
EXPORT = "rptx"  # rptx:<weeks>:<area>
EVERYWHERE = "*"  # the <area> of "every area" (administrators)
HASHED = "~"  # an area id too long (or not ASCII) for a payload travels as a short hash
MAX_CHOICES = 10
WEEK_WORDS = frozenset({"tuan", "week", "weeks"})
UP = ("@back", "len", "cap tren", "up")
FILES = ("excel", "csv", "tep", "xuat", "tai ve", "files")
# Apps that show no monospace text get a line per row instead of a table.
PROPORTIONAL_CHANNELS = frozenset({"zalo"})


def _hash(area_id: str) -> str:
    return HASHED + hashlib.sha256(area_id.encode()).hexdigest()[:12]


def payload(prefix: str, weeks: int, area: Area | None) -> str:
    if area is None:
        return f"{prefix}:{weeks}:{EVERYWHERE}"
    plain = f"{prefix}:{weeks}:{area.id}"
    if (
        area.id.isascii()
        and len(plain.encode()) <= 64
        and area.id != EVERYWHERE
        and not area.id.startswith(HASHED)
    ):
        return plain
    return f"{prefix}:{weeks}:{_hash(area.id)}"


def may_see(turn: Turn, scope: Area | None) -> bool:
    """An area's figures (None: every area) are for the officers of that area and above."""
    if turn.person.role < Role.OFFICER:
        return False
    mine = turn.person.scope()
    return mine.everywhere or (scope is not None and mine.contains(scope))


def _home(turn: Turn) -> Area | None:
    return turn.person.scope().area


def _readings(args: str) -> list[tuple[int | None, str]]:
    """Ways to read what follows the command, as (weeks, area), the likelier first.

    "12" and "lien bao 12 tuan" give weeks; "tdp 1" is an area; "lien bao 12" is tried as an
    area first, then as 12 weeks of Liên Bảo.
    """
    words = args.split()
    explicit = bool(words) and fold(words[-1]) in WEEK_WORDS
    while words and fold(words[-1]) in WEEK_WORDS:
        words.pop()
    weeks = parse_int(words[-1], 0, 10**6) if words else None
    if weeks is None:
        return [(None, " ".join(words))]
    split = (weeks, " ".join(words[:-1]))
    if explicit or len(words) == 1:
        return [split]
    return [(None, " ".join(words)), split]


async def _scope_from_args(turn: Turn, args: str, prefix: str) -> tuple[bool, Area | None, int]:
    """(found, scope, weeks) from what was typed after the command; says why when not found."""
    home = await top_scope(turn.services) if turn.person.role == Role.ADMIN else turn.person.officer_area
    readings = _readings(args)
    chosen, query = readings[-1]  # when nothing matches, the last reading explains best
    matches: list[Area] = []
    for reading_weeks, reading_query in readings:
        found = await find_areas(turn.services, reading_query, _home(turn)) if reading_query else []
        if not reading_query or found:
            chosen, query, matches = reading_weeks, reading_query, found
            break
    weeks = DEFAULT_WEEKS if chosen is None else chosen
    if not 1 <= weeks <= MAX_WEEKS:
        turn.say(_("Please give a number of weeks from 1 to {max}.").format(max=MAX_WEEKS))
        return False, None, weeks
    if not query:
        return True, home, weeks
    if len(matches) == 1:
        return True, matches[0], weeks
    if not matches:
        if turn.person.role == Role.ADMIN:
            turn.say(_("I could not find the area “{name}”.").format(name=esc(query)))
        else:
            turn.say(
                _("I could not find “{name}” in your area ({area}).").format(
                    name=esc(query), area=esc(home.name if home else "")
                )
            )
        return False, None, weeks
    store = turn.services.store.read
    buttons = []
    for area in matches[:MAX_CHOICES]:
        parent = await store.areas.get(area.parent_id) if area.parent_id else None
        label = f"{area.name} ({parent.name})" if parent else area.name
        buttons.append(Button(label, payload(prefix, weeks, area)))
    turn.say(_("Several areas match “{name}”. Which one?").format(name=esc(query)), buttons)
    return False, None, weeks


async def _scope_from_payload(turn: Turn) -> tuple[bool, Area | None, int]:
    """(allowed, scope, weeks) of a pressed button, after checking who pressed it."""
    _prefix, weeks_text, token = [*(turn.msg.payload or "").split(":", 2), "", ""][:3]
    turn.person.require_officer()
    weeks = parse_int(weeks_text, 1, MAX_WEEKS) or DEFAULT_WEEKS
    store = turn.services.store.read
    scope: Area | None = None
    if token.startswith(HASHED):
        scope = next((a for a in await store.areas.all() if _hash(a.id) == token), None)
    elif token != EVERYWHERE:
        scope = await store.areas.get(token)
    if token != EVERYWHERE and scope is None:
        turn.say(_("That area no longer exists. Send /thongke to start again."))
        return False, None, weeks
    if not may_see(turn, scope):
        home = turn.person.officer_area
        turn.say(
            _("You can see figures only for your own area: {area}.").format(
                area=esc(home.name if home else "")
            )
        )
        return False, None, weeks
    return True, scope, weeks


async def show(turn: Turn, scope: Area | None, weeks: int) -> None:
    report = await build_report(turn.services, scope, weeks)
    chart = await asyncio.to_thread(render_png, report)
    monospace = turn.msg.channel not in PROPORTIONAL_CHANNELS
    turn.add(
        Reply(
            text=weekly_text(report, monospace),
            photo=Attachment(f"{file_stem(report)}.png", chart, "image/png"),
        )
    )
    turn.add(Reply.make(_breakdown_with_hint(report, monospace), _buttons(turn, report, weeks)))


def _breakdown_with_hint(report: WeeklyReport, monospace: bool) -> str:
    breakdown = breakdown_text(report, monospace)
    lines = [breakdown] if breakdown else []
    if any(p.area is not None for p in report.parts):
        lines.append(_("Tap an area, or type its number, to see it in detail."))
    lines.append(_("Other periods: /thongke 12 (the number of weeks). Files: /xuatbaocao."))
    return "\n".join(lines)


def _buttons(turn: Turn, report: WeeklyReport, weeks: int) -> list[list[Button]]:
    shown = report.parts[:MAX_CHAT_AREAS]
    areas = [Button(p.label, payload(VIEW, weeks, p.area)) for p in shown if p.area is not None]
    rows = [areas[i : i + 2] for i in range(0, len(areas), 2)]
    nav: list[Button] = []
    if report.up is not None and may_see(turn, report.up):
        nav.append(Button(_("⬆ {area}").format(area=report.up.name), payload(VIEW, weeks, report.up), UP))
    elif report.up_to_all and may_see(turn, None):
        nav.append(Button(_("⬆ All areas"), payload(VIEW, weeks, None), UP))
    other = 52 if weeks < 52 else DEFAULT_WEEKS
    nav.append(
        Button(
            ngettext("Last {n} week", "Last {n} weeks", other).format(n=other),
            payload(VIEW, other, report.scope),
            ("tuan", "weeks"),
        )
    )
    nav.append(Button(_("Excel and CSV files"), payload(EXPORT, weeks, report.scope), FILES))
    rows.append(nav)
    return rows


async def export(turn: Turn, scope: Area | None, weeks: int) -> None:
    report = await build_report(turn.services, scope, weeks)
    xlsx, csv_file = await asyncio.to_thread(attachments, report, turn.services.clock.now())
    title = _("<b>Weekly figures — {area}</b>").format(area=esc(report.title))
    turn.add(
        Reply(
            text="\n".join(
                [title, period_text(report), _("Excel file: one sheet per breakdown (week, area, channel).")]
            ),
            document=xlsx,
        )
    )
    turn.add(Reply(text=_("The same figures as CSV (UTF-8), one row per area and week."), document=csv_file))


async def stats_command(turn: Turn, args: str) -> None:
    found, scope, weeks = await _scope_from_args(turn, args, VIEW)
    if found:
        await show(turn, scope, weeks)


async def export_command(turn: Turn, args: str) -> None:
    found, scope, weeks = await _scope_from_args(turn, args, EXPORT)
    if found:
        await export(turn, scope, weeks)


async def view_button(turn: Turn) -> None:
    allowed, scope, weeks = await _scope_from_payload(turn)
    if allowed:
        await show(turn, scope, weeks)


async def export_button(turn: Turn) -> None:
    allowed, scope, weeks = await _scope_from_payload(turn)
    if allowed:
        await export(turn, scope, weeks)
