"""Run the held-out typed scenarios (tests/data/typed_scenarios.toml) against the real terminal chat.

Not a pytest module (no ``test_`` prefix): these scenarios are written to fail until the menus
understand what people type, and they are run by hand::

    .venv/bin/python tests/heldout/run_typed.py              # every scenario
    .venv/bin/python tests/heldout/run_typed.py --only NAME  # one (repeatable)
    .venv/bin/python tests/heldout/run_typed.py --list       # names and menus
    .venv/bin/python tests/heldout/run_typed.py -v --only NAME  # with the whole transcript

For each scenario: a fresh temporary SQLite database, the demo data (``python -m bot admin demo``,
unless ``demo = false``), the setup steps (``admin`` commands, whose output may be captured into a
``{name}`` placeholder, and ``sql``), then each ``[[scenario.chat]]`` as a ``python -m bot chat``
subprocess with its lines on stdin, then the ``[[scenario.check]]`` SQL queries compared with their
expected rows. One line per scenario, a total, and exit status 1 when any scenario failed.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
if str(REPO) not in sys.path:  # run as a script: make `tests` and `bot` importable
    sys.path.insert(0, str(REPO))

from tests.helpers import bot_environment  # noqa: E402

SCENARIOS = REPO / "tests" / "data" / "typed_scenarios.toml"
TIMEOUT = 120  # seconds for one bot subprocess
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
ROLES = ("family", "officer", "admin")


class ScenarioError(Exception):
    """The scenario file is malformed: a mistake of the test writer, not of the bot."""


@dataclass(slots=True)
class Result:
    name: str
    menu: str
    passed: bool
    problem: str = ""
    last_bot: str = ""
    transcript: list[str] = field(default_factory=list)
    seconds: float = 0.0


def load(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    scenarios = data.get("scenario", [])
    names = set()
    for scenario in scenarios:
        name = scenario.get("name")
        if not name or name in names:
            raise ScenarioError(f"missing or repeated scenario name: {name!r}")
        names.add(name)
        if not scenario.get("chat"):
            raise ScenarioError(f"{name}: no [[scenario.chat]]")
        if not scenario.get("check"):
            raise ScenarioError(f"{name}: no [[scenario.check]]")
        for chat in scenario["chat"]:
            if chat.get("as", "family") not in ROLES or not isinstance(chat.get("lines"), list):
                raise ScenarioError(f"{name}: a chat needs `as` in {ROLES} and a list of `lines`")
        for check in scenario["check"]:
            if "sql" not in check or "expect" not in check:
                raise ScenarioError(f"{name}: a check needs `sql` and `expect`")
        for step in scenario.get("setup", []):
            if ("admin" in step) == ("sql" in step):
                raise ScenarioError(f"{name}: a setup step is either `admin = [...]` or `sql = ...`")
    return scenarios


def fill(text: str, values: dict[str, str], where: str) -> str:
    """Replace ``{name}`` placeholders with captured values (unknown names are an error)."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise ScenarioError(f"{where}: no captured value for {{{key}}}")
        return values[key]

    return PLACEHOLDER.sub(one, text)


def bot(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=REPO,
        timeout=TIMEOUT,
        check=False,
    )


def last_bot_lines(stdout: str, count: int = 3, limit: int = 300) -> str:
    """The last few non-empty lines the bot printed, on one line."""
    lines = [" ".join(line.split()) for line in stdout.splitlines() if line.strip()]
    text = " ⏎ ".join(lines[-count:])
    return text if len(text) <= limit else "…" + text[-limit:]


def rows_of(conn: sqlite3.Connection, sql: str) -> list[list[Any]]:
    return [list(row) for row in conn.execute(sql).fetchall()]


def run_scenario(scenario: dict[str, Any]) -> Result:
    name = scenario["name"]
    result = Result(name, scenario.get("menu", ""), passed=False)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="typed-") as tmp:
        database = Path(tmp) / "bot.db"
        env = bot_environment(database, PYTHONIOENCODING="utf-8")
        try:
            _run_in(scenario, database, env, result)
        except subprocess.TimeoutExpired as exc:
            result.problem = f"a bot process did not finish within {TIMEOUT} s: {' '.join(exc.cmd[2:])}"
        finally:
            result.seconds = time.monotonic() - started
    return result


def _run_in(scenario: dict[str, Any], database: Path, env: dict[str, str], result: Result) -> None:
    name = scenario["name"]
    values: dict[str, str] = {}
    if scenario.get("demo", True):
        done = bot(["admin", "demo"], env)
        if done.returncode != 0:
            result.problem = f"`admin demo` failed: {done.stderr.strip()[-300:]}"
            return
    for number, step in enumerate(scenario.get("setup", []), 1):
        where = f"{name} setup {number}"
        if "admin" in step:
            args = [fill(str(a), values, where) for a in step["admin"]]
            done = bot(["admin", *args], env)
            result.transcript += [f"$ python -m bot admin {' '.join(args)}", done.stdout, done.stderr]
            if done.returncode != 0:
                result.problem = f"setup {number} (admin {' '.join(args)}): {done.stderr.strip()[-300:]}"
                return
            for key, pattern in step.get("capture", {}).items():
                found = re.search(pattern, done.stdout)
                if found is None:
                    raise ScenarioError(f"{where}: /{pattern}/ not found in: {done.stdout!r}")
                values[key] = found.group(1)
        else:
            with closing(sqlite3.connect(database)) as conn:
                conn.executescript(fill(step["sql"], values, where))
                conn.commit()
    for chat in scenario["chat"]:
        role = chat.get("as", "family")
        args = ["chat", "--as", role]
        if chat.get("user"):
            args += ["--user", chat["user"]]
        if chat.get("name"):
            args += ["--name", chat["name"]]
        lines = [fill(line, values, f"{name} chat") for line in chat["lines"]]
        done = bot(args, env, "".join(line + "\n" for line in lines))
        result.transcript += [f"$ python -m bot {' '.join(args)}  <<< {lines!r}", done.stdout, done.stderr]
        result.last_bot = last_bot_lines(done.stdout)
        if done.returncode != 0 or "Traceback" in done.stderr:
            result.problem = f"`{' '.join(args)}` exited with {done.returncode}: {done.stderr.strip()[-300:]}"
            return
    with closing(sqlite3.connect(database)) as conn:
        for number, check in enumerate(scenario["check"], 1):
            sql = fill(check["sql"], values, f"{name} check {number}")
            try:
                got = rows_of(conn, sql)
            except sqlite3.Error as exc:
                raise ScenarioError(f"{name} check {number}: {exc} in {sql!r}") from None
            if got != check["expect"]:
                what = check.get("what") or sql
                result.problem = f"check {number} ({what}): expected {check['expect']}, got {got}"
                return
    result.passed = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this scenario")
    parser.add_argument("--file", type=Path, default=SCENARIOS, help="the scenario file")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each transcript")
    args = parser.parse_args(argv)
    try:
        scenarios = load(args.file)
    except (OSError, tomllib.TOMLDecodeError, ScenarioError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for scenario in scenarios:
            print(f"{scenario['name']:44} {scenario.get('menu', '')}")
        return 0
    if args.only:
        unknown = set(args.only) - {s["name"] for s in scenarios}
        if unknown:
            print(f"unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s["name"] in args.only]
    failed = 0
    for scenario in scenarios:
        try:
            result = run_scenario(scenario)
        except ScenarioError as exc:
            print(f"scenario file error: {exc}", file=sys.stderr)
            return 2
        if args.verbose:
            print("\n".join(part for part in result.transcript if part))
        if result.passed:
            print(f"PASS {result.name} [{result.menu}] ({result.seconds:.1f} s)", flush=True)
        else:
            failed += 1
            print(
                f"FAIL {result.name} [{result.menu}]: {result.problem} | last bot: {result.last_bot}",
                flush=True,
            )
    total = len(scenarios)
    print(f"{total - failed}/{total} scenarios pass, {failed} fail")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
