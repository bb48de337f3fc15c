"""`python -m bot chat` (what `make run` opens without a token), driven by scripted input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import bot_environment


def run_chat(tmp_path: Path, lines: list[str], *args: str) -> str:
    env = bot_environment(tmp_path / "demo.db")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_terminal_chat_onboards_with_demo_data_and_answers(tmp_path: Path) -> None:
    out = run_chat(
        tmp_path,
        ["dong y", "lien bao", "9", "2", "1", "co", "/lichhoc", "tieu chi gia dinh hoc tap", "/quit"],
    )
    assert "Bạn có đồng ý không?" in out
    assert "Danh sách không có số 9" in out  # "9" is not a village of Liên Bảo: asked again
    assert "Tổ dân phố 2, Phường Liên Bảo" in out
    assert "Xong rồi!" in out
    assert "Hội nghị tập huấn" in out  # the demo session
    assert "Nguồn:" in out  # the answer cites its source


def test_terminal_chat_as_officer_resumes_after_restart(tmp_path: Path) -> None:
    run_chat(tmp_path, ["/thongbao", "1"], "--as", "officer")  # ends mid-flow
    out = run_chat(tmp_path, ["Họp dân tổ 2 lúc 19h thứ Sáu tại nhà văn hóa.", "/huy"], "--as", "officer")
    # The first message after /start's greeting continues the announcement where it stopped.
    assert "Kèm một ảnh?" in out
    assert "Đã hủy" in out
