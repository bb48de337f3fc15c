"""``python -m bot admin sessions import FILE | list``: a schedule from a CSV or TOML file.

A file row with a ``ref`` updates the session imported before under that ref (people signed up
are told once when its time or place changes); without one, every import creates new sessions.
The whole file is checked before anything is saved: one bad row and nothing is imported.
"""

from __future__ import annotations

import argparse
import csv
import io
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot import i18n
from bot.services import Services
from handlers.training import fields, service
from handlers.training.fields import FieldError
from storage.sessions import DEFAULT_OFFSETS, TrainingSession

COLUMNS = (
    "ref",
    "title",
    "start",
    "duration",
    "place",
    "audience",
    "area",
    "capacity",
    "description",
    "reminders",
)
REQUIRED = ("title", "start", "duration", "place", "area", "capacity")
EXAMPLE = """\
Columns (CSV header row, or keys of [[session]] tables in TOML):
  ref          your own id for the row; importing again with the same ref updates that session
  title        e.g. Hội nghị tập huấn tiêu chí "Gia đình học tập"
  start        local date and time: 28/11/2026 08:30, 2026-11-28 08:30, 28/11 8h30
  duration     minutes or e.g. 2h30, 90 phút
  place        where it is held
  audience     family | officer | all (default all)
  area         an area id (see: python -m bot admin areas list)
  capacity     number of places
  description  optional
  reminders    optional, e.g. "1 ngày, 2 giờ" or 1440,120 (minutes); "không" for none
"""


class ScheduleError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class PlannedRow:
    line: str  # "line 3" / "session 2", for messages
    data: service.SessionInput
    existing: TrainingSession | None


def add_parsers(commands: Any, admin: Any) -> None:
    """Add ``sessions`` under ``python -m bot admin``."""
    sessions = admin.add_parser(
        "sessions",
        help="training sessions: import a schedule (CSV or TOML), list them",
        description="Training sessions.",
    )
    sessions.set_defaults(run=run)
    sub = sessions.add_subparsers(dest="sessions_command", required=True, metavar="ACTION")
    imp = sub.add_parser(
        "import",
        help="create or update sessions from a CSV or TOML file",
        description="Create or update sessions from a CSV or TOML file.\n\n" + EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check the file and show what would change")
    listing = sub.add_parser("list", help="print upcoming sessions with sign-up counts")
    listing.add_argument("--area", help="only this area and below (an area id)")


async def run(args: argparse.Namespace, services: Services) -> int:
    if args.sessions_command == "import":
        return await import_command(services, args.file, dry_run=args.dry_run)
    return await list_command(services, args.area)


# -- import ----------------------------------------------------------------------------------
async def import_command(services: Services, path: Path, *, dry_run: bool = False) -> int:
    try:
        raw = read_rows(path)
        planned = await plan_import(services, raw)
    except (OSError, ScheduleError, ValueError) as problem:
        problems = problem.problems if isinstance(problem, ScheduleError) else [str(problem)]
        print(f"{path}: nothing imported.")
        for line in problems:
            print(f"  {line}")
        return 1
    created = updated = unchanged = told = 0
    for row in planned:
        if row.existing is None:
            if not dry_run:
                await service.create_session(services, row.data, by="cli")
            created += 1
            continue
        changes = service.changes_between(row.existing, row.data)
        if all(getattr(changes, name) is None for name in changes.__dataclass_fields__):
            unchanged += 1
            continue
        if not dry_run:
            result = await service.update_session(services, row.existing.id, changes, by="cli")
            told += result.notified
        updated += 1
    prefix = "would import" if dry_run else "imported"
    print(
        f"{path}: {prefix} {len(planned)} rows: {created} created, {updated} updated, {unchanged} unchanged"
        + (f"; {told} people told about changes" if told else "")
    )
    return 0


def read_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(where, row) pairs from a .toml or .csv file."""
    if path.suffix.lower() == ".toml":
        with path.open("rb") as fh:
            document = tomllib.load(fh)
        tables = document.get("session", [])
        if not isinstance(tables, list):
            raise ScheduleError(["expected [[session]] tables"])
        return [(f"session {i}", dict(t)) for i, t in enumerate(tables, 1)]
    if path.suffix.lower() == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        header = text.splitlines()[0] if text else ""
        # Spreadsheets set to Vietnamese often save with semicolons.
        delimiter = ";" if header.count(";") > header.count(",") else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        unknown = [c for c in reader.fieldnames or [] if c.strip().lower() not in COLUMNS]
        if unknown:
            raise ScheduleError([f"unknown columns: {', '.join(unknown)} (known: {', '.join(COLUMNS)})"])
        return [
            (f"line {reader.line_num}", {k.strip().lower(): (v or "").strip() for k, v in row.items() if k})
            for row in reader
        ]
    raise ScheduleError([f"unsupported file type {path.suffix!r}: use .csv or .toml"])


async def plan_import(services: Services, rows: list[tuple[str, dict[str, Any]]]) -> list[PlannedRow]:
    """Check every row; raise ``ScheduleError`` listing every problem, or return the plan."""
    store = services.store.read
    now = services.clock.now()
    tz = services.settings.timezone
    problems: list[str] = []
    planned: list[PlannedRow] = []
    seen_refs: set[str] = set()
    if not rows:
        raise ScheduleError(["the file has no sessions"])
    for where, row in rows:
        missing = [name for name in REQUIRED if row.get(name) in (None, "")]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        ref = str(row.get("ref") or "").strip() or None
        if ref is not None and ref in seen_refs:
            problems.append(f"{where}: ref {ref!r} appears twice in the file")
            continue
        if ref is not None:
            seen_refs.add(ref)
        existing = await store.sessions.by_ref(ref) if ref else None
        try:
            data = _row_input(row, ref, now, tz)
        except FieldError as problem:
            problems.append(f"{where}: {problem}")
            continue
        if await store.areas.get(data.area_id) is None:
            problems.append(f"{where}: unknown area {data.area_id!r}")
            continue
        if existing is not None and existing.cancelled:
            problems.append(f"{where}: session {ref!r} was cancelled; give the new one another ref")
            continue
        moved = existing is None or existing.starts_at != data.starts_at
        if moved and data.starts_at < now + fields.MIN_LEAD:
            problems.append(f"{where}: the start {row['start']} has passed or is too close")
            continue
        planned.append(PlannedRow(where, data, existing))
    if problems:
        raise ScheduleError(problems)
    return planned


def _row_input(row: dict[str, Any], ref: str | None, now: datetime, tz: Any) -> service.SessionInput:
    start = row["start"]
    if isinstance(start, date) and not isinstance(start, datetime):
        raise FieldError("the start needs a time as well as a date")
    if isinstance(start, time):
        raise FieldError("the start needs a date as well as a time")
    reminders = row.get("reminders")
    offsets = (
        DEFAULT_OFFSETS
        if reminders in (None, "")
        else fields.check_offsets(reminders if isinstance(reminders, list | str) else str(reminders))
    )
    return service.SessionInput(
        title=fields.check_title(str(row["title"])),
        starts_at=fields.check_start(
            start if isinstance(start, datetime) else str(start), now, tz, allow_past=True
        ),
        duration_min=fields.check_duration(
            row["duration"] if isinstance(row["duration"], int) else str(row["duration"])
        ),
        place=fields.check_place(str(row["place"])),
        audience=fields.check_audience(str(row.get("audience") or "all")),
        area_id=str(row["area"]).strip(),
        capacity=fields.check_capacity(
            row["capacity"] if isinstance(row["capacity"], int) else str(row["capacity"])
        ),
        description=fields.check_description(str(row.get("description") or "")),
        reminder_offsets=offsets,
        ext_ref=ref,
    )


# -- list ------------------------------------------------------------------------------------
async def list_command(services: Services, area_id: str | None) -> int:
    store = services.store.read
    scope = None
    if area_id:
        area = await store.areas.get(area_id)
        if area is None:
            print(f"error: unknown area {area_id!r}")
            return 1
        scope = area.path
    now = services.clock.now()
    sessions = await store.sessions.in_scope(scope, now, limit=1000)
    counts = await store.sessions.signups.counts([s.id for s in sessions])
    with i18n.use("vi", services.settings.timezone):
        for session in sessions:
            confirmed, waiting = counts[session.id]
            local = i18n.local_time(session.starts_at)
            print(
                f"{session.id}\t{local:%d/%m/%Y %H:%M}\t{session.area_id}\t{confirmed}/{session.capacity}"
                f"{f' +{waiting} waiting' if waiting else ''}\t{session.status}\t{session.ext_ref or '-'}"
                f"\t{session.title}"
            )
    print(f"{len(sessions)} upcoming sessions")
    return 0
