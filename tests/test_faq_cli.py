"""``python -m bot ask``: one question, or one JSON object per line read from standard input."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from handlers.faq import cli

ROOT = Path(__file__).resolve().parent.parent


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_parsers(sub, sub)
    return parser.parse_args(["ask", *argv])


def test_one_question_prints_the_answer_with_its_source() -> None:
    out = io.StringIO()
    assert cli.run_without_app(parse("dong ho hoc tap la gi"), stdout=out) == 0
    text = out.getvalue()
    assert text.startswith("Dòng họ học tập\n")
    assert "📄 Nguồn: QĐ 387/QĐ-TTg, Thủ tướng Chính phủ, 25/03/2022" in text
    assert "<b>" not in text


def test_english_answers() -> None:
    out = io.StringIO()
    assert cli.run_without_app(parse("--lang", "en", "what is a learning clan"), stdout=out) == 0
    assert "📄 Source: QĐ 387/QĐ-TTg, Prime Minister, 25/03/2022" in out.getvalue()


def test_no_confident_answer_exits_1_and_names_the_nearest_topics() -> None:
    out = io.StringIO()
    assert cli.run_without_app(parse("gia vang hom nay"), stdout=out) == 1
    assert "No confident answer" in out.getvalue()


def test_json_reads_one_question_per_line_and_prints_one_object_per_line() -> None:
    out = io.StringIO()
    questions = "gdht la gi\nthoi tiet hom nay the nao\n\nong ba tren 60 co phai hoc ko\n"
    assert cli.run_without_app(parse("--json", "-"), stdin=io.StringIO(questions), stdout=out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["topic"] for r in rows] == ["title.gia_dinh", None, None, "edge.elderly"]
    for row in rows:
        assert set(row) == {"topic", "score", "answer", "more", "kind"}
        assert isinstance(row["score"], float)
        assert (row["answer"] is None) == (row["topic"] is None)
    assert "Nguồn:" in rows[0]["answer"]
    assert [r["kind"] for r in rows] == ["question", "question", "short", "question"]


def test_json_answer_is_the_first_message_and_more_a_field_of_its_own() -> None:
    out = io.StringIO()
    questions = "tieu chi gia dinh hoc tap\nngay khuyen hoc la ngay nao\ncam on chau nhe\nhoc\n"
    assert cli.run_without_app(parse("--json", "-"), stdin=io.StringIO(questions), stdout=out) == 0
    family, day, thanks, word = [json.loads(line) for line in out.getvalue().splitlines()]
    assert family["topic"] == "title.gia_dinh"
    assert "30 điểm" not in family["answer"] and len(family["answer"]) <= 1000
    assert family["more"].startswith("Gia đình học tập: tiêu chí\n") and "30 điểm" in family["more"]
    assert day["topic"] == "ngay_khuyen_hoc" and day["more"] is None  # no details for this one
    assert (thanks["topic"], thanks["kind"]) == (None, "thanks")
    assert (word["topic"], word["kind"]) == (None, "short")


def test_without_json_both_parts_are_printed() -> None:
    out = io.StringIO()
    assert cli.run_without_app(parse("tieu chi gia dinh hoc tap"), stdout=out) == 0
    text = out.getvalue()
    assert text.index("📄 Nguồn:") < text.index("📖 Xem thêm") < text.index("30 điểm")


def test_check_reports_the_files() -> None:
    out = io.StringIO()
    assert cli.run_without_app(parse("--check"), stdout=out) == 0
    assert "knowledge base OK: 31 topics (vi), 31 topics (en)" in out.getvalue()


def test_as_a_process_reading_standard_input() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "handlers.faq.cli", "--json", "-"],
        input="tieu chi cong dan hoc tap\nket qua bong da\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["topic"] for r in rows] == ["title.cong_dan", None]


def test_python_m_bot_ask_once_wired() -> None:
    from bot.cli import build_parser

    try:
        build_parser().parse_args(["ask", "x"])
    except SystemExit:
        pytest.skip("`ask` is not wired into bot/cli.py yet (see the FAQ report)")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        input="quy khuyen hoc la gi\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(done.stdout)["topic"] == "quy_khuyen_hoc"
