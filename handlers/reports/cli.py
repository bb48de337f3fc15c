"""``python -m bot report weekly``: the weekly report on the command line (table, CSV, XLSX or PNG)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot import i18n
from bot.services import Services
from bot.text import strip_html
from handlers.reports.build import DEFAULT_WEEKS, MAX_WEEKS, build_report, top_scope
from handlers.reports.chart import render_png
from handlers.reports.export import file_stem, to_csv, to_xlsx
from handlers.reports.render import breakdown_text, weekly_text

FORMATS = ("table", "csv", "xlsx", "png")


def _weeks(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_WEEKS}")
    return value


def add_parsers(commands: Any, admin: Any) -> None:
    report = commands.add_parser(
        "report", help="weekly figures by area", description="Reports from the anonymous counting events."
    )
    report.set_defaults(run=run)
    kinds = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    weekly = kinds.add_parser(
        "weekly",
        help="counts per ISO week (Asia/Ho_Chi_Minh) for an area and the areas one level down",
        description="New people, declarations and training sign-ups per week, for an area (default: "
        "the top of the area tree) and the areas one level down.",
    )
    weekly.add_argument("--weeks", type=_weeks, default=DEFAULT_WEEKS, help=f"default {DEFAULT_WEEKS}")
    weekly.add_argument("--area", help="an area id (see: python -m bot admin areas list)")
    weekly.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    weekly.add_argument(
        "--output",
        type=Path,
        help="file to write (default: the table on standard output, files named "
        "after the area and weeks in the current folder); '-' writes to standard output",
    )


async def run(args: argparse.Namespace, services: Services) -> int:
    settings = services.settings
    with i18n.use(settings.default_language, settings.timezone):
        if args.area:
            scope = await services.store.read.areas.get(args.area)
            if scope is None:
                print(f"error: unknown area {args.area!r}", file=sys.stderr)
                return 1
        else:
            scope = await top_scope(services)
        report = await build_report(services, scope, args.weeks)
        if args.format == "table":
            parts = [weekly_text(report), breakdown_text(report)]
            data = ("\n\n".join(strip_html(p) for p in parts if p) + "\n").encode()
        elif args.format == "csv":
            data = to_csv(report)
        elif args.format == "xlsx":
            data = to_xlsx(report, services.clock.now())
        else:
            data = render_png(report)
    output = args.output
    if output is None and args.format != "table":
        output = Path(f"{file_stem(report)}.{args.format}")
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    output.write_bytes(data)
    print(f"wrote {output} ({len(data):,} bytes)", file=sys.stderr)
    return 0
