"""Areas: the tree of wards and villages an association loads from a data file."""

from __future__ import annotations

from dataclasses import dataclass

from storage.sql import Connection, Row


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    parent_id: str | None
    name: str
    kind: str
    path: str
    sort: int = 0

    def contains(self, other: Area) -> bool:
        """True when ``other`` is this area or lies below it."""
        return other.path.startswith(self.path)


@dataclass(frozen=True, slots=True)
class AreaInput:
    id: str
    parent_id: str | None
    name: str
    kind: str
    sort: int = 0


def _area(row: Row) -> Area:
    return Area(row["id"], row["parent_id"], row["name"], row["kind"], row["path"], row["sort"])


_COLUMNS = "id, parent_id, name, kind, path, sort"


class AreasRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, area_id: str) -> Area | None:
        row = await self.conn.fetch_one(f"SELECT {_COLUMNS} FROM areas WHERE id = ?", (area_id,))
        return _area(row) if row else None

    async def children(self, parent_id: str | None) -> list[Area]:
        if parent_id is None:
            sql = f"SELECT {_COLUMNS} FROM areas WHERE parent_id IS NULL ORDER BY sort, name"
            args: tuple[str, ...] = ()
        else:
            sql = f"SELECT {_COLUMNS} FROM areas WHERE parent_id = ? ORDER BY sort, name"
            args = (parent_id,)
        rows = await self.conn.fetch_all(sql, args)
        return [_area(r) for r in rows]

    async def subtree(self, area_id: str) -> list[Area]:
        """The area and everything below it, parents before children."""
        area = await self.get(area_id)
        if area is None:
            return []
        rows = await self.conn.fetch_all(
            f"SELECT {_COLUMNS} FROM areas WHERE substr(path, 1, ?) = ? ORDER BY path",
            (len(area.path), area.path),
        )
        return [_area(r) for r in rows]

    async def all(self) -> list[Area]:
        rows = await self.conn.fetch_all(f"SELECT {_COLUMNS} FROM areas ORDER BY path")
        return [_area(r) for r in rows]

    async def ancestors(self, area_id: str) -> list[Area]:
        """From the root down to the area itself."""
        area = await self.get(area_id)
        if area is None:
            return []
        ids = [p for p in area.path.strip("/").split("/") if p]
        if not ids:
            return []
        in_ids, args = self.conn.in_list("id", ids)
        rows = await self.conn.fetch_all(f"SELECT {_COLUMNS} FROM areas WHERE {in_ids}", args)
        found = {r["id"]: _area(r) for r in rows}
        return [found[i] for i in ids if i in found]

    async def count(self) -> int:
        row = await self.conn.fetch_one("SELECT COUNT(*) FROM areas")
        return int(row[0]) if row else 0

    async def upsert_many(self, areas: list[AreaInput]) -> int:
        """Insert or update areas given parents first; return how many were written."""
        paths: dict[str, str] = {}
        for item in areas:
            if item.parent_id is None:
                parent_path = "/"
            elif item.parent_id in paths:
                parent_path = paths[item.parent_id]
            else:
                parent = await self.get(item.parent_id)
                if parent is None:
                    raise ValueError(f"area {item.id!r}: unknown parent {item.parent_id!r}")
                parent_path = parent.path
            path = f"{parent_path}{item.id}/"
            paths[item.id] = path
            await self.conn.execute(
                "INSERT INTO areas (id, parent_id, name, kind, path, sort) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET parent_id = excluded.parent_id,"
                " name = excluded.name, kind = excluded.kind, path = excluded.path,"
                " sort = excluded.sort",
                (item.id, item.parent_id, item.name, item.kind, path, item.sort),
            )
        return len(areas)
