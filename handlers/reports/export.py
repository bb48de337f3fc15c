"""The report as files: CSV (UTF-8 with BOM, for Excel on Windows) and XLSX (a sheet per breakdown).

Files carry plain numbers (no thousands separators) and the same measures as the chat table and
the chart. Each sheet starts with a heading — the area, the period, when it was made — then the
table with a filter on its rows; the total row sits below the filtered range, so sorting or
filtering never moves it into the data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from bot import i18n
from bot.i18n import _, ngettext
from bot.model import Attachment
from handlers.reports.model import MEASURES, Series, WeeklyReport
from handlers.reports.render import channel_name

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_COLUMN_WIDTH = 50

Row = list[str | int | date]


def iso_week(monday: date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def file_stem(report: WeeklyReport) -> str:
    """An ASCII file name: thongke_<area id>_<first Monday>_<last Sunday>."""
    area = re.sub(r"[^A-Za-z0-9_.-]+", "-", report.scope.id if report.scope else "all").strip("-.") or "area"
    return f"thongke_{area}_{report.first_day:%Y%m%d}_{report.last_day:%Y%m%d}"


def _measure_headers() -> list[str]:
    return [_(m.label) for m in MEASURES]


def _week_cells(monday: date) -> Row:
    return [iso_week(monday), monday, monday + timedelta(days=6)]


def _counts(series: Series, week: date | None = None) -> Row:
    if week is None:
        return [series.total(m.kind) for m in MEASURES]
    return [series.get(week, m.kind) for m in MEASURES]


def _code(report: WeeklyReport) -> str:
    return report.scope.id if report.scope is not None else "*"


def by_area_and_week(report: WeeklyReport) -> tuple[list[str], list[Row]]:
    """One row per area and week: the whole area first, then each area one level down."""
    header = [_("Area"), _("Area code"), _("ISO week"), _("First day"), _("Last day"), *_measure_headers()]
    rows: list[Row] = []
    lines = [(_("Total: {area}").format(area=report.title), _code(report), report.total)]
    lines += [(p.label, p.area.id if p.area else "", p.series) for p in report.parts]
    for label, code, series in lines:
        for week in report.weeks:
            rows.append([label, code, *_week_cells(week), *_counts(series, week)])
    return header, rows


def by_week(report: WeeklyReport) -> tuple[list[str], list[Row]]:
    header = [_("ISO week"), _("First day"), _("Last day"), *_measure_headers()]
    rows: list[Row] = [[*_week_cells(w), *_counts(report.total, w)] for w in report.weeks]
    rows.append([_("Total"), report.first_day, report.last_day, *_counts(report.total)])
    return header, rows


def by_area(report: WeeklyReport) -> tuple[list[str], list[Row]]:
    header = [_("Area"), _("Area code"), *_measure_headers()]
    rows: list[Row] = [[p.label, p.area.id if p.area else "", *_counts(p.series)] for p in report.parts]
    rows.append([_("Total: {area}").format(area=report.title), _code(report), *_counts(report.total)])
    return header, rows


def by_channel(report: WeeklyReport) -> tuple[list[str], list[Row]]:
    header = [_("Channel"), _("ISO week"), _("First day"), _("Last day"), *_measure_headers()]
    rows: list[Row] = []
    for name, series in report.channels:
        for week in report.weeks:
            rows.append([channel_name(name), *_week_cells(week), *_counts(series, week)])
    return header, rows


def to_csv(report: WeeklyReport) -> bytes:
    """Every area and week in one table; dates as YYYY-MM-DD, which Excel reads in any locale."""
    header, rows = by_area_and_week(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: commas, CRLF, quotes where needed
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell.isoformat() if isinstance(cell, date) else cell for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def _sheets(report: WeeklyReport) -> Iterator[tuple[str, list[str], list[Row], int]]:
    """(title, header, rows, how many rows at the end are totals)."""
    yield (_("By week"), *by_week(report), 1)
    if report.parts:
        yield (_("By area"), *by_area(report), 1)
        yield (_("By area and week"), *by_area_and_week(report), 0)
    yield (_("By channel"), *by_channel(report), 0)


def heading(report: WeeklyReport, generated: datetime) -> list[str]:
    """The lines above every sheet's table: what, where, which weeks, when it was made."""
    count = len(report.weeks)
    return [
        _("Weekly figures — {area}").format(area=report.title),
        ngettext(
            "{n} week: from {first} to {last} (weeks from Monday to Sunday)",
            "{n} weeks: from {first} to {last} (weeks from Monday to Sunday)",
            count,
        ).format(n=count, first=i18n.fmt_date(report.first_day), last=i18n.fmt_date(report.last_day)),
        _("Made at {when} ({zone}). Counts are anonymous: deleting a person's data keeps them.").format(
            when=i18n.fmt_datetime(generated), zone=str(i18n.local_time(generated).tzinfo)
        ),
    ]


def _width(value: str | int | date) -> int:
    if isinstance(value, date):
        return 10
    if isinstance(value, int):
        return len(f"{value:,}")
    return len(value)


def to_xlsx(report: WeeklyReport, generated: datetime | None = None) -> bytes:
    """A workbook with a sheet per breakdown: a heading, a bold frozen header row, a filter on the
    data rows only (the total row below it), fitted column widths."""
    # Imported here: only exports need openpyxl.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    book.properties.title = _("Weekly figures — {area}").format(area=report.title)
    bold = Font(bold=True)
    lines = heading(report, generated or datetime.now(UTC))
    for title, header, rows, totals in _sheets(report):
        sheet = book.create_sheet(_sheet_title(title))
        for index, line in enumerate(lines):
            sheet.append([line])
            sheet.cell(row=index + 1, column=1).font = Font(bold=index == 0, size=13 if index == 0 else 11)
        sheet.append([])
        first = len(lines) + 2  # the header row
        sheet.append(header)
        for cell in sheet[first]:
            cell.font = bold
        data, total_rows = rows[: len(rows) - totals], rows[len(rows) - totals :]
        for row in data:
            sheet.append(row)
        last = first + len(data)
        if total_rows:
            sheet.append([])  # a gap: Excel never takes the total row for more data
        for row in total_rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        for row_cells in sheet.iter_rows(min_row=first + 1):
            for cell in row_cells:
                if isinstance(cell.value, date):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(cell.value, int):
                    cell.number_format = "#,##0"
        _fit_columns(sheet, header, rows)
        sheet.freeze_panes = f"A{first + 1}"
        sheet.auto_filter.ref = f"A{first}:{get_column_letter(len(header))}{last}"
        sheet.print_title_rows = f"{first}:{first}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31]


def get_column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter as letter

    return str(letter(index))


def _fit_columns(sheet: Worksheet, header: Sequence[str], rows: Sequence[Row]) -> None:
    for index, name in enumerate(header):
        widest = max([len(name), *(_width(row[index]) for row in rows)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(widest + 2, MAX_COLUMN_WIDTH)


def attachments(report: WeeklyReport, generated: datetime | None = None) -> tuple[Attachment, Attachment]:
    """(XLSX, CSV) attachments of the report."""
    stem = file_stem(report)
    return (
        Attachment(f"{stem}.xlsx", to_xlsx(report, generated), XLSX_MIME),
        Attachment(f"{stem}.csv", to_csv(report), CSV_MIME),
    )
