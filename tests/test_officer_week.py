"""An officer's week, one transcript through the router on the terminal channel, as `make run`
shows it: a family declares; the officer is told, returns it, sees what changed in the amended
version and confirms it; schedules an announcement and cancels it; sends one that a restart
interrupts and sends it again to those not confirmed; exports the week's figures and reads the
files back from the folder the chat names.

The officer's terminal runs the delivery worker (as `chat --as officer` does), so messages for
the family appear there framed as someone else's; the family types in a terminal of its own.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from bot.bootstrap import Runtime
from bot.channels.console import ConsoleChannel
from bot.delivery.worker import ChannelLimits, DeliveryWorker
from bot.scheduler import Scheduler

FOR_FAMILY = "📨 Tin nhắn gửi console:binh, không phải cho bạn"


class Terminal:
    """One terminal: what it printed since the last command typed in it."""

    def __init__(self, app: Runtime, user_id: str, files: Path) -> None:
        self.lines: list[str] = []
        self.console = ConsoleChannel(app.router, user_id, write=self.lines.append, files_dir=files)
        self.mark = 0

    def new(self) -> str:
        text = "\n".join(self.lines[self.mark :])
        self.mark = len(self.lines)
        return text


class Week:
    def __init__(self, app: Runtime, files: Path) -> None:
        self.app = app
        self.officer = Terminal(app, "officer", files)
        self.family = Terminal(app, "binh", files)
        app.services.status.connect(self.officer.console)
        self.worker = DeliveryWorker(
            app.services.store,
            app.services.clock,
            {"console": self.officer.console},
            {"console": ChannelLimits(per_second=0, per_chat_gap=0)},
        )
        self.scheduler = Scheduler(app.services)
        for feature in app.features.all():
            for work in feature.due_work(app.services):
                self.scheduler.add(work)

    async def run(self) -> None:
        """What the bot's background does between two messages: due work, then the outbox."""
        await self.scheduler.tick()
        await self.worker.run_until_idle()
        await self.scheduler.tick()
        await self.worker.run_until_idle()

    async def officer_types(self, *lines: str, deliver: bool = True) -> str:
        for line in lines:
            await self.officer.console.send_text(line)
            if deliver:
                await self.run()
        return self.officer.new()

    async def family_types(self, *lines: str) -> str:
        for line in lines:
            await self.family.console.send_text(line)
            await self.run()
        return self.family.new()


async def test_an_officers_week_in_the_terminal(app: Runtime, tmp_path: Path) -> None:
    files = tmp_path / "outbox-files"
    week = Week(app, files)
    clock = app.services.clock
    await week.run()  # the bot starts on Tuesday 24/11/2026, 09:00

    # Monday's habit: what can I do? Grouped, with /guilai among the announcements.
    text = await week.officer_types("/trogiup")
    assert "Việc của cán bộ khuyến học" in text and "/guilai — " in text and "/dsthongbao — " in text

    # -- a family declares; the officer is told at once, with the command to type ----------------
    await week.family_types("/start", "dong y", "1", "1", "1")
    text = await week.family_types(
        "/khaibao", "Trần Thị Bình", "1", "1980", "khong", "co", "3",
        "co", "con", "2015", "tieu hoc", "khong", "1", "1", "bo qua", "gui",
    )  # fmt: skip
    assert "Bản khai báo năm 2026 của gia đình đã được gửi" in text
    assert text.strip().splitlines()[-1].startswith("bot> Cán bộ khuyến học ở địa bàn sẽ xem xét")
    assert "Tóm lại: đạt 4/6 tiêu chí; phần còn lại do thôn bình xét." in text
    told = week.officer.new()
    assert "bot> 📝 Bản khai báo mới #1 ở Tổ dân phố 1: hộ Trần Thị Bình, 2 thành viên." in told
    assert "Gửi /duyet 1 để xem xét." in told and "• Xem xét #1" in told  # a bullet, not a number

    # -- the officer returns it with a reason; the family's notice is shown as theirs ------------
    text = await week.officer_types("/duyet 1")
    assert "Những gì thay đổi" not in text  # a first version
    text = await week.officer_types("2", "Xin bổ sung cháu đang học đại học ở Hà Nội.")
    assert "Đã trả lại bản khai báo #1 kèm lý do" in text
    assert FOR_FAMILY in text and "   │ Lý do: Xin bổ sung cháu đang học đại học" in text

    # -- the family amends; the officer sees what changed and confirms ---------------------------
    text = await week.family_types(
        "/khaibao", "sua thanh vien", "them thanh vien", "con", "2004", "dai hoc", "co", "khong", "gui"
    )
    assert "Phần sửa đã được gửi (lần 2)" in text
    told = week.officer.new()
    assert "bot> ✏️ Gia đình đã sửa bản khai báo #1 ở Tổ dân phố 1 (hộ Trần Thị Bình): lần 2." in told
    text = await week.officer_types("/duyet 1")
    assert "Những gì thay đổi so với lần 1 (lần đã trả lại lúc 09:00, Thứ Ba, 24/11/2026):" in text
    assert "• Thêm thành viên: 3. Con, sinh năm 2004 (22 tuổi) — Cao đẳng, đại học" in text
    text = await week.officer_types("1")  # Xác nhận
    assert "Đã xác nhận bản khai báo #1" in text
    assert (
        FOR_FAMILY in text and "xác nhận các thông tin trong đó: chủ hộ Trần Thị Bình, 3 thành viên" in text
    )
    assert "công nhận ở cấp xã/phường" in text

    # -- Wednesday: an announcement set for Saturday, then cancelled -------------------------------
    clock.advance(timedelta(days=1))
    text = await week.officer_types(
        "/thongbao", "1", "Họp bình xét gia đình học tập lúc 19h thứ Sáu.", "khong", "28/11 8h30", "gui"
    )
    assert "Thông báo số 1 đã được hẹn gửi lúc 08:30, Thứ Bảy, 28/11/2026" in text
    text = await week.officer_types("/dsthongbao")
    assert "Số 1 — 08:30, Thứ Bảy, 28/11/2026" in text
    text = await week.officer_types("1", "huy", "co")
    assert "Đã hủy thông báo số 1: sẽ không ai nhận được." in text

    # -- Thursday: one sent now; the bot restarts mid-way; the officer resends -------------------
    clock.advance(timedelta(days=1))
    await week.officer_types(
        "/thongbao", "1", "Mời các gia đình dự họp tổ dân phố tối thứ Sáu.", "khong", "1", "1", deliver=False
    )
    store = app.services.store
    async with store.write() as tx:  # the process dies with every request in flight
        for row in await tx.outbox.rows("broadcast:2"):
            await tx.outbox.mark_sending(row.id)
        await tx.outbox.recover_interrupted(clock.now())
    await week.run()
    report = week.officer.new()
    assert "Đã gửi xong thông báo số 2" in report and "Số người nhận: 2" in report
    assert "❔ Chưa xác nhận" in report and "/guilai 2" in report
    clock.advance(timedelta(minutes=30))  # the officer reads the report a little later
    text = await week.officer_types("/guilai")
    assert "Số 2 — " in text and "2 tin chưa xác nhận" in text
    text = await week.officer_types("/guilai 2")
    assert "Đang gửi lại thông báo số 2 cho 2 người" in text
    assert FOR_FAMILY in text and "   │ Mời các gia đình dự họp tổ dân phố tối thứ Sáu." in text
    assert "✅ Đã gửi tới: 2" in text  # the new report, counted from the same rows
    text = await week.officer_types("/dsthongbao")
    assert "Số 2 — " in text and "đã tới 2/2 người" in text

    # -- Saturday: the cancelled announcement never goes out -------------------------------------
    clock.advance(timedelta(days=2))
    await week.run()
    assert "Họp bình xét gia đình học tập lúc 19h" not in week.officer.new()

    # -- Sunday evening: the week's figures, exported and read back -------------------------------
    clock.advance(timedelta(days=1, hours=9, minutes=30))  # Sunday 29/11, 19:00
    text = await week.officer_types("/xuatbaocao 1")
    xlsx, csv_file = (Path(p) for p in re.findall(r"📎 Tệp đã lưu: (\S+) \(", text))
    assert xlsx.parent == files and xlsx.name == "thongke_lien_bao_20261123_20261129.xlsx"

    book = load_workbook(xlsx)
    weeks = book["Theo tuần"]
    assert weeks["A1"].value == "Thống kê theo tuần — Phường Liên Bảo"
    assert weeks["A2"].value.startswith("1 tuần: từ 23/11/2026 đến 29/11/2026")
    assert weeks["A3"].value.startswith("Lập lúc 19:00, Chủ Nhật, 29/11/2026")
    header = [c.value for c in weeks[5]]
    row = dict(zip(header, next(weeks.iter_rows(min_row=6, max_row=6, values_only=True)), strict=True))
    assert row["Tuần (ISO)"] == "2026-W48"
    assert row["Người mới tham gia"] == 1  # the family
    assert row["Khai báo đã nộp"] == 1 and row["Khai báo bị trả lại"] == 1
    assert row["Khai báo được duyệt"] == 1
    assert weeks.auto_filter.ref == "A5:J6"  # the week only; the total row below, outside it
    assert weeks["A8"].value == "Cộng"
    by_area = {r[1]: r for r in book["Theo địa bàn"].iter_rows(min_row=6, values_only=True) if any(r)}
    assert by_area["lien_bao.tdp1"][2:6] == (1, 1, 1, 1)
    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["Địa bàn", "Mã địa bàn", "Tuần (ISO)"] and len(rows) == 1 + 4  # ward + 3 groups

    text = await week.officer_types("/thongke 1")
    [png] = re.findall(r"📎 Ảnh đã lưu: (\S+) \(", text)
    assert Image.open(png).size[0] == 1000
    assert "Cộng" in text and "Trả" in text and "Chờ" in text

    # The family's terminal showed only the family's own conversation.
    assert "console:officer" not in "\n".join(week.family.lines)
