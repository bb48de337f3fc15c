"""`python -m bot chat` (what `make run` opens without a token), driven by scripted input."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.channels.console import ConsoleChannel
from bot.model import Attachment, Button, Reply
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


def test_terminal_chat_saves_the_files_the_bot_sends_and_names_them(tmp_path: Path) -> None:
    out = run_chat(tmp_path, ["/thongke", "/xuatbaocao", "/quit"], "--as", "officer")
    saved = re.findall(r"📎 (?:Ảnh|Tệp) đã lưu: (\S+) \(", out)
    assert [Path(p).suffix for p in saved] == [".png", ".xlsx", ".csv"]
    for path in saved:  # beside the database, named relative to the folder the chat runs in
        assert path.startswith("outbox-files/") and (tmp_path / path).stat().st_size > 0
    assert "[photo:" not in out and "[document:" not in out

    elsewhere = tmp_path / "reports"
    out = run_chat(tmp_path, ["/xuatbaocao", "/quit"], "--as", "officer", "--files", str(elsewhere))
    assert "reports/thongke_lien_bao_" in out and len(list(elsewhere.iterdir())) == 2


async def test_the_terminal_keeps_every_file_and_frames_messages_for_others(tmp_path: Path) -> None:
    lines: list[str] = []
    console = ConsoleChannel(None, "officer", write=lines.append, files_dir=tmp_path)  # type: ignore[arg-type]
    first, other = Attachment("a.csv", b"1"), Attachment("a.csv", b"2")
    await console.send("officer", Reply("x", document=first))
    await console.send("officer", Reply("x", document=first))  # the same file: kept once
    await console.send("officer", Reply("y", document=other))  # another with the same name
    assert [p.name for p in console.saved] == ["a.csv", "a.csv", "a-2.csv"]
    assert (tmp_path / "a-2.csv").read_bytes() == b"2"

    lines.clear()
    await console.deliver("binh", Reply("📢 Họp tổ", buttons=((Button("Xem", "x:1"),),)))
    assert lines[0].startswith("📨 Tin nhắn gửi console:binh, không phải cho bạn")
    assert all(line.startswith("   │ ") for line in "\n".join(lines[1:-1]).splitlines())
    assert lines[-1] == "   └──" and "• Xem" in lines[1]
    lines.clear()
    await console.deliver("officer", Reply("Báo cáo"))
    assert lines == ["bot> Báo cáo"]


async def test_what_the_outbox_delivers_while_the_bot_answers_is_printed_after_the_answer() -> None:
    lines: list[str] = []
    gate = asyncio.Event()

    class Router:
        async def handle(self, msg: object, send: Callable[[Reply], Awaitable[None]]) -> None:
            gate.set()
            await asyncio.sleep(0.01)  # the delivery worker runs meanwhile
            await send(Reply("Đang gửi thông báo số 1"))

    console = ConsoleChannel(Router(), "officer", write=lines.append)  # type: ignore[arg-type]

    async def worker() -> None:
        await gate.wait()
        await console.deliver("binh", Reply("📢 Họp tổ"))
        await console.post_status("officer", "Đang gửi thông báo: 0/1")

    await asyncio.gather(console.send_text("1"), worker())
    assert lines[0] == "bot> Đang gửi thông báo số 1"
    assert lines[1].startswith("📨 ") and lines[-1] == "     … Đang gửi thông báo: 0/1"
