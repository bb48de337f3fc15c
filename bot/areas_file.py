"""Reading an association's area tree from a TOML or CSV file.

TOML: a list of ``[[area]]`` tables with ``id``, ``name``, ``kind`` and ``parent`` (omitted for
the root). CSV: a header ``id,parent,name,kind``. Parents must come before their children.
"""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

from storage.areas import AreaInput

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
KINDS = ("province", "city", "ward", "commune", "village", "group", "other")


class AreaFileError(ValueError):
    pass


def read_areas(path: Path) -> list[AreaInput]:
    if not path.exists():
        raise AreaFileError(f"{path}: no such file")
    if path.suffix.lower() == ".toml":
        with path.open("rb") as fh:
            try:
                rows = tomllib.load(fh).get("area", [])
            except tomllib.TOMLDecodeError as exc:
                raise AreaFileError(f"{path}: not valid TOML ({exc})") from None
    elif path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        raise AreaFileError(f"{path}: use a .toml or .csv file")
    return validate(rows, str(path))


def validate(rows: list[dict[str, object]], source: str) -> list[AreaInput]:
    seen: set[str] = set()
    areas: list[AreaInput] = []
    for number, row in enumerate(rows, 1):
        where = f"{source}: area #{number}"
        area_id = str(row.get("id") or "").strip()
        parent = str(row.get("parent") or "").strip() or None
        name = " ".join(str(row.get("name") or "").split())
        kind = str(row.get("kind") or "").strip()
        if not _ID.match(area_id):
            raise AreaFileError(
                f"{where}: id {area_id!r} must be lower-case ASCII letters, digits, '_', '.' or '-'"
            )
        if area_id in seen:
            raise AreaFileError(f"{where}: id {area_id!r} appears twice")
        if parent is not None and parent not in seen:
            raise AreaFileError(f"{where}: parent {parent!r} must be listed before {area_id!r}")
        if not name or len(name) > 100:
            raise AreaFileError(f"{where}: name must be 1-100 characters")
        if kind not in KINDS:
            raise AreaFileError(f"{where}: kind {kind!r} must be one of {', '.join(KINDS)}")
        seen.add(area_id)
        areas.append(AreaInput(area_id, parent, name, kind, number))
    if not areas:
        raise AreaFileError(f"{source}: no areas found")
    return areas
