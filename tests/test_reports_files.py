"""The report's chart, spreadsheet, CSV and command line."""

from __future__ import annotations

import argparse
import csv
import io
import unicodedata
import warnings
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from matplotlib.ft2font import FT2Font
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image

from bot import i18n
from bot.bootstrap import Runtime
from handlers.reports import cli
from handlers.reports.build import build_report
from handlers.reports.chart import HEIGHT_PX, ROW_PX, WIDTH_PX, font_path, height_px, render_png
from handlers.reports.export import to_csv, to_xlsx
from handlers.reports.model import WeeklyReport
from handlers.reports.render import weekly_text
from storage.areas import Area, AreaInput

VN = ZoneInfo("Asia/Ho_Chi_Minh")


async def _seed(app: Runtime) -> None:
    """Liên Bảo: TDP 1 gets 3 registrations in week 46 and 1 approval in week 48; TDP 3 two sign-ups."""
    async with app.services.store.write() as tx:
        for day in (9, 10, 15):  # Mon 09/11, Tue 10/11, Sun 15/11: all in the week of 09/11
            await tx.events.record(
                "user.registered", "lien_bao.tdp1", "zalo", datetime(2026, 11, day, 9, tzinfo=VN)
            )
        await tx.events.record(
            "declaration.approved", "lien_bao.tdp1", "telegram", datetime(2026, 11, 23, 8, tzinfo=VN)
        )
        for _ in range(2):
            await tx.events.record(
                "training.signup", "lien_bao.tdp3", "telegram", datetime(2026, 11, 17, tzinfo=VN)
            )
        await tx.events.record(
            "training.signup", "hoi_hop.thon_vinh_quang", "telegram", datetime(2026, 11, 17, tzinfo=VN)
        )


async def _ward_report(app: Runtime, weeks: int = 4) -> WeeklyReport:
    await _seed(app)
    ward = await app.services.store.read.areas.get("lien_bao")
    assert isinstance(ward, Area)
    return await build_report(app.services, ward, weeks)


async def test_png_opens_with_the_expected_size_and_every_glyph(app: Runtime) -> None:
    report = await _ward_report(app)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        data = render_png(report)
    image = Image.open(io.BytesIO(data))
    image.verify()
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX) == (1000, 800)


@pytest.mark.parametrize("areas", [2, 9, 20])
async def test_the_chart_grows_with_the_areas_so_each_row_stays_legible(app: Runtime, areas: int) -> None:
    async with app.services.store.write() as tx:
        await tx.areas.upsert_many(
            [AreaInput(f"many.v{i}", "tich_son", f"Thôn số {i}", "village") for i in range(areas - 2)]
        )
    ward = await app.services.store.read.areas.get("tich_son" if areas > 2 else "lien_bao")
    assert ward is not None
    report = await build_report(app.services, ward, 8)
    rows = len([p for p in report.parts if p.area is not None]) + 1  # and the total row
    image = Image.open(io.BytesIO(render_png(report)))
    assert image.size == (WIDTH_PX, height_px(rows))
    assert image.size[1] - 500 >= rows * ROW_PX  # below the weekly panel: every row its full height


def test_the_chart_font_has_every_vietnamese_letter() -> None:
    assert font_path().name == "DejaVuSans.ttf"
    charmap = FT2Font(str(font_path())).get_charmap()
    letters = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    vowels = "aăâeêioôơuưy"
    marks = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    every = set(letters + letters.upper())
    for vowel in vowels + vowels.upper():
        every.update(unicodedata.normalize("NFC", vowel + mark) for mark in marks)
    missing = sorted(ch for ch in every if ord(ch) not in charmap)
    assert missing == []


HEADER_ROW = 5  # three lines of heading and a blank line above every table


def _data(sheet: Worksheet) -> list[tuple[object, ...]]:
    """The rows of a sheet's table below its header, without the blank row before the total."""
    return [r for r in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if any(r)]


async def test_xlsx_reads_back_with_the_right_numbers(app: Runtime) -> None:
    report = await _ward_report(app)
    made = datetime(2026, 11, 24, 10, 15, tzinfo=VN)
    book = load_workbook(io.BytesIO(to_xlsx(report, made)))
    assert book.sheetnames == ["Theo tuần", "Theo địa bàn", "Theo địa bàn và tuần", "Theo kênh"]

    weeks = book["Theo tuần"]
    heading = [weeks.cell(row=n, column=1).value for n in (1, 2, 3)]
    assert heading[0] == "Thống kê theo tuần — Phường Liên Bảo"
    assert heading[1].startswith("4 tuần: từ 02/11/2026 đến 29/11/2026")
    assert heading[2].startswith("Lập lúc 10:15, Thứ Ba, 24/11/2026 (Asia/Ho_Chi_Minh)")
    for sheet in book:  # every sheet names the area and the period
        assert sheet["A1"].value == heading[0] and sheet["A2"].value == heading[1]
    header = [c.value for c in weeks[HEADER_ROW]]
    assert header[:4] == ["Tuần (ISO)", "Từ ngày", "Đến ngày", "Người mới tham gia"]
    assert all(c.font.bold for c in weeks[HEADER_ROW])
    assert weeks.freeze_panes == f"A{HEADER_ROW + 1}"
    assert weeks.column_dimensions["D"].width >= len("Người mới tham gia")
    rows = {r[0]: r for r in _data(weeks)}
    assert list(rows) == ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "Cộng"]
    column = {name: header.index(name) for name in header}
    assert rows["2026-W46"][column["Người mới tham gia"]] == 3
    assert rows["2026-W46"][column["Từ ngày"]].date() == date(2026, 11, 9)
    assert rows["2026-W47"][column["Đăng ký tập huấn (có chỗ)"]] == 2  # Hội Hợp's is not Liên Bảo's
    assert rows["2026-W48"][column["Khai báo được duyệt"]] == 1
    assert rows["2026-W45"][3:] == (0, 0, 0, 0, 0, 0, 0)  # an empty week
    assert rows["Cộng"][3:] == (3, 0, 1, 0, 2, 0, 0)
    # The filter covers the header and the weeks; the total row lies below it, after a gap.
    assert weeks.auto_filter.ref == f"A{HEADER_ROW}:J{HEADER_ROW + 4}"
    assert weeks.cell(row=HEADER_ROW + 5, column=1).value is None
    assert weeks.cell(row=HEADER_ROW + 6, column=1).value == "Cộng"

    by_area = book["Theo địa bàn"]
    areas = {r[1]: r for r in _data(by_area)}
    assert areas["lien_bao.tdp1"][2:] == (3, 0, 1, 0, 0, 0, 0)
    assert areas["lien_bao.tdp2"][2:] == (0, 0, 0, 0, 0, 0, 0)
    assert areas["lien_bao.tdp3"][2:] == (0, 0, 0, 0, 2, 0, 0)
    assert areas["lien_bao"][0] == "Tổng: Phường Liên Bảo"
    assert by_area.auto_filter.ref == f"A{HEADER_ROW}:I{HEADER_ROW + 3}"  # the three groups only
    # The rows listed add up to the total.
    parts = [r for code, r in areas.items() if code != "lien_bao"]
    assert tuple(sum(r[i] for r in parts) for i in range(2, 9)) == areas["lien_bao"][2:]

    long = _data(book["Theo địa bàn và tuần"])
    assert len(long) == 4 * 4  # the ward and its three groups, four weeks each
    channels = {(r[0], r[1]): r for r in _data(book["Theo kênh"])}
    assert channels[("Zalo", "2026-W46")][4] == 3
    assert channels[("Telegram", "2026-W47")][8] == 2


async def test_the_chat_tables_and_the_files_have_the_same_columns(app: Runtime) -> None:
    report = await _ward_report(app)
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    in_files = [c.value for c in book["Theo tuần"][HEADER_ROW]][3:]
    text = weekly_text(report)
    legend = next(line for line in text.splitlines() if line.startswith("Mới:"))
    in_chat = [part.split(": ", 1)[1] for part in legend.split(" · ")]
    assert [name.lower() for name in in_files] == in_chat
    assert "khai báo bị trả lại" in in_chat and "vào danh sách chờ" in in_chat


async def test_csv_has_a_bom_and_one_row_per_area_and_week(app: Runtime) -> None:
    report = await _ward_report(app)
    data = to_csv(report)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Địa bàn", "Mã địa bàn", "Tuần (ISO)", "Từ ngày", "Đến ngày"]
    by_key = {(r[1], r[2]): r for r in rows[1:]}
    assert len(by_key) == 16
    assert by_key[("lien_bao", "2026-W46")][3:6] == ["2026-11-09", "2026-11-15", "3"]
    assert by_key[("lien_bao.tdp1", "2026-W46")][0] == "Tổ dân phố 1"
    assert by_key[("lien_bao.tdp3", "2026-W47")][9] == "2"


async def test_english_files_for_english_speakers(app: Runtime) -> None:
    report = await _ward_report(app)
    with i18n.use("en"):
        book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert book.sheetnames[0] == "By week"
    assert [c.value for c in book["By week"][HEADER_ROW]][3] == "New people"
    assert book["By week"]["A1"].value == "Weekly figures — Phường Liên Bảo"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_parsers(sub, sub)
    return parser


async def test_cli_writes_each_format(
    app: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _seed(app)
    parser = _parser()
    args = parser.parse_args(["report", "weekly", "--weeks", "4", "--area", "lien_bao"])
    assert await cli.run(args, app.services) == 0
    out = capsys.readouterr().out
    assert "Thống kê theo tuần — Phường Liên Bảo" in out and "<pre>" not in out
    assert "TDP 1" in out

    for fmt in ("csv", "xlsx", "png"):
        target = tmp_path / f"out.{fmt}"
        args = parser.parse_args(["report", "weekly", "--format", fmt, "--output", str(target)])
        assert await cli.run(args, app.services) == 0
        assert target.stat().st_size > 0
    assert Image.open(tmp_path / "out.png").size[0] == 1000
    book = load_workbook(tmp_path / "out.xlsx")
    areas = {r[1]: r for r in _data(book["Theo địa bàn"])}
    assert areas["lien_bao"][2] == 3 and areas["hoi_hop"][6] == 1

    args = parser.parse_args(["report", "weekly", "--area", "nowhere"])
    assert await cli.run(args, app.services) == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "weekly", "--weeks", "0"])
