"""Announcements after they are written: the list, changing the time or the text of one set for
later, cancelling it, /guilai, and reports and the CLI counting the same rows."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from bot.bootstrap import Runtime
from bot.delivery.notify import to_reply
from handlers.broadcast import cli as broadcast_cli
from handlers.broadcast.service import finish_if_complete
from tests.helpers import Transcript
from tests.test_broadcast import residents, setup


async def schedule(officer: Transcript, text: str, when: str) -> str:
    await officer.send("/thongbao")
    await officer.send("1")  # everyone in the ward
    await officer.send(text)
    await officer.send("khong")  # no picture
    await officer.send(when)  # a time typed at once, instead of "Choose a time"
    return await officer.send("gui")


@pytest.mark.parametrize("typed", ["8h30 28/11", "28/11 8h30", "8 giờ 30 ngày 28/11"])
async def test_thongbao_reads_the_time_either_way_round(app: Runtime, typed: str) -> None:
    officer = Transcript(app.router, "officer")
    text = await schedule(officer, "Họp bình xét gia đình học tập.", typed)
    assert "đã được hẹn gửi lúc 08:30, Thứ Bảy, 28/11/2026" in text
    assert "/dsthongbao" in text


@pytest.mark.parametrize("typed", ["8h30 28/11", "28/11 8h30"])
async def test_taolop_reads_the_time_either_way_round(app: Runtime, typed: str) -> None:
    officer = Transcript(app.router, "officer")
    await officer.send("/taolop")
    assert "28/11 8h30 hoặc 8h30 28/11" in (await officer.send("Buổi giới thiệu chatbot"))
    assert "Buổi kéo dài bao lâu?" in await officer.send(typed)
    user = await app.services.store.read.users.by_key("console:officer")
    state = await app.services.store.read.conversations.load(user.id)
    assert datetime.fromisoformat(state.draft["start"]) == datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
    await officer.send("/huy")


async def test_list_change_the_time_and_text_then_cancel(app: Runtime) -> None:
    [resident] = await residents(app, 1)
    officer = Transcript(app.router, "officer")
    await schedule(officer, "Họp bình xét gia đình học tập.", "8h30 28/11")
    await schedule(officer, "Nhắc nộp phiếu đăng ký.", "28/11 7h")

    text = await officer.send("/dsthongbao")
    assert "Thông báo đã hẹn giờ — Phường Liên Bảo" in text
    assert "Số 2 — 07:00, Thứ Bảy, 28/11/2026 — mọi người trong địa bàn — Phường Liên Bảo" in text
    assert text.index("Số 2 —") < text.index("Số 1 —")  # soonest first
    assert "1. Số 2 lúc 07:00 28/11" in text and "2. Số 1 lúc 08:30 28/11" in text

    text = await officer.send("2")  # open #1
    assert "Thông báo số 1" in text and "Hẹn gửi lúc: 08:30, Thứ Bảy, 28/11/2026" in text
    assert "Họp bình xét gia đình học tập." in text and "hiện khoảng 2 người" in text
    text = await officer.send("doi gio")
    assert "Bạn gõ ngày giờ mới" in text
    text = await officer.send("hom qua")  # no time: asked again
    assert "ghi thêm giờ" in text or "Tôi chưa thấy ngày" in text
    text = await officer.send("29/11 9h")
    assert "Xong: thông báo số 1 sẽ được gửi lúc 09:00, Chủ Nhật, 29/11/2026" in text
    text = await officer.send("sua noi dung")
    assert "Nội dung hiện nay:\nHọp bình xét gia đình học tập." in text
    text = await officer.send("Họp bình xét gia đình học tập lúc 9h Chủ nhật tại nhà văn hóa.")
    assert "Người nhận sẽ thấy:" in text and "tại nhà văn hóa" in text

    await officer.send("/dsthongbao")
    text = await officer.send("1")  # #2
    assert "Thông báo số 2" in text
    text = await officer.send("huy")
    assert "Hủy thông báo số 2 hẹn gửi lúc 07:00, Thứ Bảy, 28/11/2026?" in text
    text = await officer.send("co")
    assert "Đã hủy thông báo số 2" in text
    assert "Số 1 — 09:00, Chủ Nhật, 29/11/2026" in text and "Số 2 —" not in text

    # At the new time only #1 goes out, with its new text; #2 never does.
    platform, worker, scheduler = setup(app)
    app.services.clock.advance(timedelta(days=4, hours=1))  # Saturday 10:00
    await scheduler.tick()
    await worker.run_until_idle()
    assert platform.delivered[resident.user_id] == 0
    app.services.clock.advance(timedelta(days=1))
    await scheduler.tick()
    await worker.run_until_idle()
    assert platform.delivered[resident.user_id] == 1
    assert "tại nhà văn hóa" in platform.texts[resident.user_id][0]
    assert (await app.services.store.read.broadcasts.get(2)).state == "cancelled"

    # Once sent, it can no longer be changed.
    text = await officer.press("bcl:t:1")
    assert "đã được gửi đi; không sửa được nữa" in text
    text = await officer.send("/dsthongbao")
    assert "Đã gửi gần đây" in text and "Số 1 — 09:00 29/11 — đã tới 2/2 người" in text


async def test_other_areas_and_families_cannot_change_an_announcement(app: Runtime) -> None:
    from tests.test_review import officer_of

    officer = Transcript(app.router, "officer")
    await schedule(officer, "Họp bình xét gia đình học tập.", "8h30 28/11")
    other = await officer_of(app, "tichson", "tich_son")
    assert "Không có thông báo nào đang chờ gửi." in await other.send("/dsthongbao")
    for forged in ("bcl:o:1", "bcl:t:1", "bcl:cy:1"):
        assert "chỉ được gửi thông báo trong địa bàn mình phụ trách" in await other.press(forged)
    [family] = await residents(app, 1)
    assert "chỉ dành cho cán bộ" in await family.send("/dsthongbao")
    assert "chỉ dành cho cán bộ" in await family.press("bcl:cy:1")
    assert (await app.services.store.read.broadcasts.get(1)).state == "scheduled"


async def test_guilai_lists_and_resends_the_unconfirmed(app: Runtime) -> None:
    people = await residents(app, 2)
    officer = Transcript(app.router, "officer")
    text = await officer.send("/guilai")
    assert "Không có thông báo nào còn tin chưa xác nhận" in text
    await officer.send("/thongbao")
    await officer.send("1")
    await officer.send("Họp tổ dân phố lúc 19h thứ Sáu.")
    await officer.send("khong")
    await officer.send("1")  # now
    await officer.send("1")  # send
    # The bot stops while sending: the rows end "uncertain" (see README, Delivery).
    store = app.services.store
    rows = await store.read.outbox.rows("broadcast:1")
    async with store.write() as tx:
        for row in rows:
            await tx.outbox.mark_sending(row.id)
        await tx.outbox.recover_interrupted(app.services.clock.now())
    broadcast = await store.read.broadcasts.get(1)
    assert await finish_if_complete(app.services, broadcast)
    [report] = [m for m in await store.read.outbox.due(app.services.clock.now()) if "report" in m.purpose]
    assert "/guilai 1" in to_reply(report).text

    text = await officer.send("/guilai")
    assert "Số 1 — " in text and "3 tin chưa xác nhận" in text
    text = await officer.send("1")
    assert "Đang gửi lại thông báo số 1 cho 3 người" in text
    platform, worker, _scheduler = setup(app)
    await worker.run_until_idle()
    assert all(platform.delivered[p.user_id] == 1 for p in people)
    assert "Không có thông báo nào còn tin chưa xác nhận" in await officer.send("/guilai")
    assert "Đang gửi lại" not in await officer.send("/guilai 1")


async def test_the_report_and_the_list_count_the_same_rows(
    app: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    people = await residents(app, 2)
    officer = Transcript(app.router, "officer")
    await officer.send("/thongbao")
    await officer.send("1")
    await officer.send("Họp tổ dân phố lúc 19h thứ Sáu.")
    await officer.send("khong")
    await officer.send("1")
    await officer.send("1")
    platform, worker, scheduler = setup(app)
    await worker.run_until_idle()
    await people[0].send("/xoadulieu")
    await people[0].send("co")  # deleted after the announcement reached them
    await scheduler.tick()
    await worker.run_until_idle()
    report = platform.texts["officer"][-1]
    assert "Số người nhận: 2" in report and "Đã gửi tới: 2" in report
    assert "1 người khác đã xóa dữ liệu" in report

    args = argparse.Namespace(limit=5)
    assert await broadcast_cli.run(args, app.services) == 0
    line = capsys.readouterr().out.strip()
    assert "recipients=2\tsent=2\tdeleted=1" in line
    assert "+0700" in line  # local time, with its offset
