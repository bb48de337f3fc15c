"""The report as files: CSV (UTF-8 with BOM, for Excel on Windows) and XLSX (a sheet per breakdown).

Files carry plain numbers (no thousands separators) and every measure, returned declarations
included; the chat shows the formatted, shorter view.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.i18n import _
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


def _sheets(report: WeeklyReport) -> Iterator[tuple[str, list[str], list[Row]]]:
    yield (_("By week"), *by_week(report))
    if report.parts:
        yield (_("By area"), *by_area(report))
        yield (_("By area and week"), *by_area_and_week(report))
    yield (_("By channel"), *by_channel(report))


def _width(value: str | int | date) -> int:
    if isinstance(value, date):
        return 10
    if isinstance(value, int):
        return len(f"{value:,}")
    return len(value)


def to_xlsx(report: WeeklyReport) -> bytes:
    """A workbook with a sheet per breakdown: bold frozen header row, filters, fitted column widths."""
    # Imported here: only exports need openpyxl.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    book.properties.title = _("Weekly figures — {area}").format(area=report.title)
    bold = Font(bold=True)
    for title, header, rows in _sheets(report):
        sheet = book.create_sheet(_sheet_title(title))
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append(row)
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, date):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(cell.value, int):
                    cell.number_format = "#,##0"
        _fit_columns(sheet, header, rows)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31]


def _fit_columns(sheet: Worksheet, header: Sequence[str], rows: Sequence[Row]) -> None:
    from openpyxl.utils import get_column_letter

    for index, name in enumerate(header):
        widest = max([len(name), *(_width(row[index]) for row in rows)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(widest + 2, MAX_COLUMN_WIDTH)


def attachments(report: WeeklyReport) -> tuple[Attachment, Attachment]:
    """(XLSX, CSV) attachments of the report."""
    stem = file_stem(report)
    return (
        Attachment(f"{stem}.xlsx", to_xlsx(report), XLSX_MIME),
        Attachment(f"{stem}.csv", to_csv(report), CSV_MIME),
    )
