"""The report as chat text: small monospace tables that fit a phone screen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from babel import dates as babel_dates

from bot import i18n
from bot.i18n import _, ngettext
from bot.text import esc
from handlers.reports.model import CHAT_MEASURES, Measure, Series, WeeklyReport

MIN_NUMBER_WIDTH = 3
# A Telegram message holds 4,096 characters and a table must not be split across two messages.
MAX_CHAT_AREAS = 60
NAME_WIDTH = 12  # area names in the breakdown table: phone screens fit about 36 monospace characters

# Administrative prefixes shortened in narrow columns (the full name is in files and buttons).
_PREFIXES = (
    ("Thành phố ", "TP "),
    ("Thị xã ", "TX "),
    ("Thị trấn ", "TT "),
    ("Phường ", "P. "),
    ("Xã ", "X. "),
    ("Tổ dân phố ", "TDP "),
    ("Khu phố ", "KP "),
)

CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}


def channel_name(channel: str) -> str:
    if channel == "console":
        return _("Terminal")
    return CHANNEL_NAMES.get(channel) or channel or _("Unknown channel")


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    for long, short in _PREFIXES:
        if name.startswith(long):
            name = short + name[len(long) :]
            break
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def day_month(day: date) -> str:
    return babel_dates.format_date(day, "dd/MM", locale=i18n.babel_locale())


def week_label(report: WeeklyReport, week: date) -> str:
    """The Monday of the week, e.g. "23/11"; a star marks the week that is not over yet."""
    return day_month(week) + ("*" if report.unfinished(week) else "")


def grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell: the first left-aligned, numbers right-aligned."""
    table = [list(header), *(list(r) for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    widths[1:] = [max(w, MIN_NUMBER_WIDTH) for w in widths[1:]]  # keeps two-letter headers apart
    lines = []
    for row in table:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append(" ".join(cells).rstrip())
    return "\n".join(lines)


def _numbers(series: Series, measures: Sequence[Measure], week: date | None = None) -> list[str]:
    if week is None:
        return [i18n.fmt_number(series.total(m.kind)) for m in measures]
    return [i18n.fmt_number(series.get(week, m.kind)) for m in measures]


def period_text(report: WeeklyReport) -> str:
    count = len(report.weeks)
    return ngettext("Last {n} week: {first} to {last}.", "Last {n} weeks: {first} to {last}.", count).format(
        n=count, first=i18n.fmt_date(report.first_day), last=i18n.fmt_date(report.last_day)
    )


def listing(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The same cells as ``grid`` as one line per row, for apps without a monospace font."""
    lines = []
    for row in rows:
        figures = " · ".join(f"{name} {cell}" for name, cell in zip(header[1:], row[1:], strict=True))
        lines.append(f"• {row[0]}: {figures}")
    return "\n".join(lines)


def _block(header: Sequence[str], rows: Sequence[Sequence[str]], monospace: bool) -> str:
    return f"<pre>{esc(grid(header, rows))}</pre>" if monospace else esc(listing(header, rows))


def weekly_text(report: WeeklyReport, monospace: bool = True) -> str:
    """Title, period and the area's totals per week (sent with the chart).

    ``monospace``: a table in a monospace block; otherwise a line per week (Zalo shows no
    monospace text, and columns would not line up).
    """
    measures = CHAT_MEASURES
    header = [_("Week"), *(_(m.short) for m in measures)]
    rows = [[week_label(report, w), *_numbers(report.total, measures, w)] for w in report.weeks]
    rows.append([_("Total"), *_numbers(report.total, measures)])
    legend = " · ".join(f"{_(m.short)}: {_(m.label).lower()}" for m in measures)
    lines = [
        _("<b>Weekly figures — {area}</b>").format(area=esc(report.title)),
        period_text(report),
        _block(header, rows, monospace),
        legend,
    ]
    if report.unfinished(report.weeks[-1]):
        lines.append(_("* this week is not over yet."))
    return "\n".join(lines)


def breakdown_text(report: WeeklyReport, monospace: bool = True) -> str:
    """The areas one level down (totals of the period) and new people per channel."""
    measures = CHAT_MEASURES
    lines: list[str] = []
    if report.parts:
        header = [_("Area"), *(_(m.short) for m in measures)]
        shown = report.parts[:MAX_CHAT_AREAS]
        rows = [[short_name(p.label) if monospace else p.label, *_numbers(p.series, measures)] for p in shown]
        if len(shown) == len(report.parts):  # the rows above add up to it
            rows.append([_("Total"), *_numbers(report.total, measures)])
        count = len(report.weeks)
        title = ngettext("By area (total of {n} week)", "By area (total of {n} weeks)", count).format(n=count)
        lines.append(f"<b>{esc(title)}</b>")
        lines.append(_block(header, rows, monospace))
        hidden = len(report.parts) - len(shown)
        if hidden:
            lines.append(
                ngettext(
                    "… and {n} more area: every area is in the files (/xuatbaocao).",
                    "… and {n} more areas: every area is in the files (/xuatbaocao).",
                    hidden,
                ).format(n=hidden)
            )
    joined = [
        f"{channel_name(name)} {i18n.fmt_number(series.total('user.registered'))}"
        for name, series in report.channels
        if series.total("user.registered")
    ]
    if joined:
        lines.append(_("New people by channel: {list}").format(list=esc(" · ".join(joined))))
    return "\n".join(lines)
