"""``python -m bot criteria [FILE]``: check an association's criteria file before using it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.services import Services
from handlers.declaration.criteria import (
    AnyOf,
    Condition,
    CriteriaError,
    Expr,
    configured_path,
    load_criteria,
)


def add_parsers(commands: Any, admin: Any) -> None:
    parser = commands.add_parser(
        "criteria",
        help="check a “Gia đình học tập” criteria file and print what it tests",
        description="Load and validate a criteria file (default: the configured one, else "
        "locales/vi/criteria.toml) and print each criterion. Exit status 1 when the file is invalid.",
    )
    parser.add_argument("file", nargs="?", type=Path, help="a criteria TOML file to check")
    parser.set_defaults(run=run)


def _expr(expr: Expr) -> str:
    if isinstance(expr, Condition):
        return f"{expr.field} {expr.op} {list(expr.value) if isinstance(expr.value, tuple) else expr.value}"
    assert isinstance(expr, AnyOf)
    return "(" + " or ".join(_expr(o) for o in expr.options) + ")"


def _all(exprs: tuple[Expr, ...]) -> str:
    return " and ".join(_expr(e) for e in exprs) or "everyone"


async def run(args: argparse.Namespace, services: Services) -> int:
    path = args.file or configured_path(services.settings)
    try:
        criteria = load_criteria(path)
    except CriteriaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: {len(criteria.items)} criteria, valid")
    print(f"source: {criteria.source.vi}")
    for item in criteria.items:
        print(f"- {item.id} [{item.check}] {item.title.vi}")
        if item.check == "each_member":
            print(f"    members: {_all(item.where)}")
            if item.exempt:
                print(f"    exempt:  {_all(item.exempt)}")
            print(f"    require: {_all(item.require)}")
        elif item.check == "household":
            print(f"    require: {_all(item.require)}")
        elif item.where:
            print(f"    applies when a member has: {_all(item.where)}")
    return 0
