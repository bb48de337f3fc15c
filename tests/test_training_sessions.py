"""Officers: /taolop, editing and cancelling, sign-up lists, CSV export, attendance, the import CLI."""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import pytest

from bot.bootstrap import Runtime
from bot.clock import ManualClock
from handlers.training import cli, service
from tests.helpers import Transcript
from tests.test_training_support import add_person, add_session, local, outbox


@pytest.fixture
def officer(app: Runtime) -> Transcript:
    return Transcript(app.router, "officer")  # the demo officer of Phường Liên Bảo


async def test_officer_creates_a_session_by_typing(app: Runtime, officer: Transcript) -> None:
    text = await officer.send("/taolop")
    assert "Tên buổi tập huấn là gì?" in text
    await officer.send("Tập huấn tiêu chí Gia đình học tập")
    text = await officer.send("30/2 8h")
    assert "Không có ngày này" in text and "Buổi bắt đầu lúc nào?" in text
    text = await officer.send("20/11 8h")  # four days ago
    assert "đã qua" in text
    await officer.send("8 giờ 30 sáng thứ bảy 28/11")
    await officer.send("2h30")
    await officer.send("Nhà văn hóa tổ dân phố 1")
    await officer.send("gia dinh")
    text = await officer.send("to dan pho 1")
    assert "Có bao nhiêu chỗ?" in text
    text = await officer.send("nhiều")
    assert "bằng chữ số" in text
    await officer.send("40 chỗ")
    await officer.send("Mang theo sổ hộ khẩu")
    text = await officer.send("3 ngày, 2 tiếng")
    assert "08:30, Thứ Bảy, 28/11/2026" in text and "2 giờ 30 phút" in text
    assert "3 ngày trước, và một lần nữa 2 giờ trước giờ bắt đầu" in text and "Tổ dân phố 1" in text
    text = await officer.send("1")
    assert "Đã tạo" in text
    sessions = await app.services.store.read.sessions.in_scope(None, local(24, 0))
    created = next(s for s in sessions if s.title == "Tập huấn tiêu chí Gia đình học tập")
    assert created.starts_at == local(28, 8, 30)
    assert (created.duration_min, created.capacity, created.audience) == (150, 40, "family")
    assert (created.area_id, created.reminder_offsets) == ("lien_bao.tdp1", (4320, 120))
    assert created.created_by == "console:officer"


async def test_summary_lets_the_officer_fix_one_answer(app: Runtime, officer: Transcript) -> None:
    for answer in ("/taolop", "Buổi giới thiệu chatbot", "28/11 14h", "1", "Hội trường", "3", "1", "100"):
        await officer.send(answer)
    await officer.press("description:skip")
    await officer.press("reminders:none")
    text = await officer.press("confirm:edit")
    assert "Bạn muốn sửa mục nào?" in text
    await officer.send("Số chỗ")
    text = await officer.send("80")
    assert "• Số chỗ: 80" in text and "Nhắc lịch: không nhắc" in text  # straight back to the summary
    await officer.press("confirm:yes")
    sessions = await app.services.store.read.sessions.in_scope(None, local(24, 0))
    created = next(s for s in sessions if s.title == "Buổi giới thiệu chatbot")
    assert created.capacity == 80 and created.reminder_offsets == ()


async def test_family_and_other_wards_cannot_manage(
    app: Runtime, officer: Transcript, chat: Transcript
) -> None:
    elsewhere = await add_session(app, local(26, 14), area="tich_son")
    here = await add_session(app, local(26, 14))
    await chat.onboard()
    for attempt in ("/taolop", "/quanlylop"):
        assert "chỉ dành cho cán bộ" in await chat.send(attempt)
    assert "chỉ dành cho cán bộ" in await chat.press(f"tro:x:{here.id}")  # forged payload
    for action in ("m", "x", "e", "k", "l"):
        text = await officer.press(f"tro:{action}:{elsewhere.id}")
        assert "chỉ quản lý được các buổi tập huấn của địa bàn mình" in text
    await officer.send("/quanlylop")
    assert f"tro:m:{here.id}" in officer.buttons and f"tro:m:{elsewhere.id}" not in officer.buttons


async def test_officer_moves_a_session_and_people_are_told(app: Runtime, officer: Transcript) -> None:
    session = await add_session(app, local(26, 14))
    lan = await add_person(app, "lan")
    await service.sign_up(app.services, lan, session.id)
    text = await officer.press(f"tro:e:{session.id}")
    assert "Bạn kiểm tra lại các thay đổi" in text
    await officer.press("confirm:edit")
    await officer.send("Bắt đầu")
    await officer.send("27/11 15h")
    text = await officer.send("Lưu thay đổi")
    assert "Đã lưu" in text and "báo thay đổi này cho 1 người" in text
    assert [r.user_id for r in await outbox(app, "session-change:")] == [lan.id]
    moved = await app.services.store.read.sessions.get(session.id)
    assert moved is not None and moved.starts_at == local(27, 15) and moved.change_no == 1


async def test_officer_cancels_a_session(app: Runtime, officer: Transcript) -> None:
    session = await add_session(app, local(26, 14))
    lan = await add_person(app, "lan")
    await service.sign_up(app.services, lan, session.id)
    text = await officer.press(f"tro:k:{session.id}")
    assert "Hủy buổi tập huấn này?" in text and "báo cho 1 người" in text
    text = await officer.send("co")
    assert "Đã hủy buổi tập huấn" in text
    cancelled = await app.services.store.read.sessions.get(session.id)
    assert cancelled is not None and cancelled.cancelled
    assert len(await outbox(app, "session-change:")) == 1


async def test_sign_up_list_and_csv_export(app: Runtime, officer: Transcript) -> None:
    session = await add_session(app, local(26, 14), capacity=1)
    lan = await add_person(app, "lan")
    await add_person(app, "=cmd")  # a name that would be a formula in a spreadsheet
    await service.sign_up(app.services, lan, session.id)
    await service.sign_up(
        app.services, await app.services.store.read.users.by_key("console:=cmd"), session.id
    )  # type: ignore[arg-type]
    text = await officer.press(f"tro:l:{session.id}")
    assert "1 người có chỗ, 1 người trong danh sách chờ" in text
    assert "Lan — Tổ dân phố 1" in text and "(chờ số 1)" in text
    await officer.press(f"tro:x:{session.id}")
    document = officer.replies[0].document
    assert document is not None and document.filename.endswith(".csv") and document.mime_type == "text/csv"
    assert document.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "STT",
        "Họ tên",
        "Thôn / tổ dân phố",
        "Kênh",
        "Trạng thái",
        "Thời điểm đăng ký",
        "Có mặt",
    ]
    assert rows[1][1:3] == ["Lan", "Tổ dân phố 1"] and rows[1][4] == "có chỗ"
    assert rows[2][1] == "'=Cmd" and rows[2][4] == "danh sách chờ"
    audit = await app.services.store.read.conn.fetch_all(
        "SELECT action FROM audit_log WHERE action = 'training.exported'"
    )
    assert len(list(audit)) == 1


async def test_attendance(app: Runtime, officer: Transcript, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14))
    lan = await add_person(app, "lan")
    await service.sign_up(app.services, lan, session.id)
    text = await officer.press(f"tro:a:{session.id}:0")
    assert "2 giờ trước giờ bắt đầu" in text  # too early
    clock.set(local(26, 14, 10))
    text = await officer.press(f"tro:a:{session.id}:0")
    assert "Có mặt: 0/1" in text and "⬜ Lan" in text
    text = await officer.send("1")  # typed: the first name
    assert "Có mặt: 1/1" in text and "✅ Lan" in text
    signup = await app.services.store.read.sessions.signups.get(session.id, lan.id)
    assert signup is not None and signup.attended is True
    text = await officer.send("1")
    assert "❌ Lan" in text
    text = await officer.press(f"tro:l:{session.id}")
    assert "❌ Lan" in text


# -- the command line ------------------------------------------------------------------------------
def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="admin_command")
    cli.add_parsers(sub, sub)
    return parser.parse_args(list(argv))


async def test_import_toml_then_update_by_ref(
    app: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = tmp_path / "lich.toml"
    schedule.write_text(
        """
[[session]]
ref = "lb-2026-11"
title = "Tập huấn tiêu chí Gia đình học tập"
start = "28/11/2026 08:30"
duration = 150
place = "Hội trường UBND phường Liên Bảo"
audience = "family"
area = "lien_bao"
capacity = 60
reminders = "1 ngày, 2 giờ"

[[session]]
title = "Tập huấn cán bộ khuyến học"
start = 2026-11-29T14:00:00
duration = "2h"
place = "Nhà văn hóa"
audience = "officer"
area = "lien_bao"
capacity = 30
reminders = [2880]
""",
        encoding="utf-8",
    )
    assert await cli.run(_args("sessions", "import", str(schedule), "--dry-run"), app.services) == 0
    assert "would import 2 rows: 2 created" in capsys.readouterr().out
    assert await app.services.store.read.sessions.by_ref("lb-2026-11") is None

    assert await cli.run(_args("sessions", "import", str(schedule)), app.services) == 0
    first = await app.services.store.read.sessions.by_ref("lb-2026-11")
    assert first is not None and first.starts_at == local(28, 8, 30) and first.audience == "family"
    lan = await add_person(app, "lan")
    await service.sign_up(app.services, lan, first.id)

    schedule.write_text(schedule.read_text(encoding="utf-8").replace("28/11/2026 08:30", "28/11/2026 14:00"))
    assert await cli.run(_args("sessions", "import", str(schedule)), app.services) == 0
    out = capsys.readouterr().out
    assert "1 updated" in out and "1 people told" in out and "1 created" in out  # the row without a ref
    assert [r.user_id for r in await outbox(app, "session-change:")] == [lan.id]


async def test_import_csv_with_semicolons(
    app: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = tmp_path / "lich.csv"
    schedule.write_text(
        "\ufeffref;title;start;duration;place;audience;area;capacity\n"
        "a1;Buổi một;28/11 8h;90;Nhà văn hóa TDP 1;gia đình;lien_bao.tdp1;25\n"
        "a2;Buổi hai;29/11 8h;1h30;Nhà văn hóa TDP 2;tất cả;lien_bao.tdp2;25\n",
        encoding="utf-8",
    )
    assert await cli.run(_args("sessions", "import", str(schedule)), app.services) == 0
    assert "2 created" in capsys.readouterr().out
    second = await app.services.store.read.sessions.by_ref("a2")
    assert second is not None and second.audience == "all" and second.duration_min == 90
    assert await cli.run(_args("sessions", "list", "--area", "lien_bao"), app.services) == 0
    assert "Buổi hai" in capsys.readouterr().out


async def test_a_bad_row_imports_nothing(
    app: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = tmp_path / "lich.csv"
    schedule.write_text(
        "title,start,duration,place,area,capacity\n"
        "Buổi một,28/11 8h,90,Nhà văn hóa,lien_bao,25\n"
        "Buổi hai,31/11 8h,90,Nhà văn hóa,nowhere,25\n"
        "Buổi ba,29/11,90,Nhà văn hóa,lien_bao,0\n",
        encoding="utf-8",
    )
    before = await app.services.store.read.sessions.count()
    assert await cli.run(_args("sessions", "import", str(schedule)), app.services) == 1
    out = capsys.readouterr().out
    assert "nothing imported" in out and "line 3: That date does not exist" in out
    assert "line 4: Please add the time" in out
    assert await app.services.store.read.sessions.count() == before
