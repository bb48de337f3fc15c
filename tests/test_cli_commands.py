"""Each command opens only what it needs: ``ask`` reads the knowledge base and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, bot_environment

HEAVY = ("storage", "apscheduler", "telegram", "aiosqlite", "httpx", "matplotlib", "openpyxl")


def test_ask_imports_neither_storage_nor_scheduler_nor_platforms_nor_other_features() -> None:
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "code = main(['ask', '--check'])\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in heavy\n"
        "          or (m.startswith('handlers.') and not m.startswith('handlers.faq'))]\n"
        "print(sorted(loaded))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]"), result.stdout


def test_the_full_parser_still_lists_every_feature_command() -> None:
    from bot.cli import build_parser

    text = build_parser().format_help()
    for command in ("run", "chat", "admin", "ask", "report", "criteria"):
        assert command in text


def test_a_bad_criteria_file_is_one_line_for_chat_and_no_matter_for_admin(tmp_path: Path) -> None:
    bad = tmp_path / "criteria.toml"
    bad.write_text('[[criterion]]\nid = "x"\ntitle = "T"\ncheck = "nope"\n', encoding="utf-8")
    env = bot_environment(tmp_path / "bot.db", CRITERIA_FILE=str(bad))

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *argv],
            cwd=tmp_path,
            env=env,
            input="",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    areas = run("admin", "areas", "list")
    assert areas.returncode == 0 and areas.stderr == "", areas.stderr
    chat = run("chat")
    assert chat.returncode == 1
    lines = chat.stderr.strip().splitlines()
    assert len(lines) == 1, chat.stderr
    assert lines[0].startswith(f"data file error: {bad}: ") and "schema must be 1" in lines[0]
