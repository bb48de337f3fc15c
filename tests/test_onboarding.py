"""Onboarding through the router, as typed in the terminal (no buttons)."""

from __future__ import annotations

from datetime import timedelta

from bot import accounts
from bot.bootstrap import Runtime, open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.demo import seed_demo
from tests.helpers import Transcript


async def test_nothing_is_stored_before_consent(app: Runtime, chat: Transcript) -> None:
    text = await chat.send("/start")
    assert "Bạn có đồng ý không?" in text
    assert await app.services.store.read.users.by_key("console:fam") is None
    await chat.send("xin chao")
    assert await app.services.store.read.users.by_key("console:fam") is None


async def test_decline_stores_nothing(app: Runtime, chat: Transcript) -> None:
    await chat.send("/start")
    text = await chat.send("khong dong y")
    assert "không lưu gì" in text
    assert await app.services.store.read.users.by_key("console:fam") is None


async def test_family_completes_onboarding_typing_without_accents(app: Runtime, chat: Transcript) -> None:
    await chat.send("/start")
    text = await chat.send("dong y")
    assert "phường/xã nào" in text
    text = await chat.send("hoi hop")  # a ward by name, no accents
    assert "Phường Hội Hợp: bạn ở thôn/tổ dân phố nào?" in text
    text = await chat.send("dong hoa")  # "Thôn Đồng Hòa"
    assert "Thôn Đồng Hòa, Phường Hội Hợp" in text
    text = await chat.send("dung")
    assert "Xong rồi!" in text
    user = await app.services.store.read.users.by_key("console:fam")
    assert user is not None and user.area_id == "hoi_hop.thon_dong_hoa"
    assert await app.services.store.read.events.count("user.registered") == 1


async def test_bad_input_reasks_the_same_step(app: Runtime, chat: Transcript) -> None:
    await chat.send("/start")
    await chat.send("1")
    text = await chat.send("99")
    assert "Danh sách không có số 99. Xin chọn một số từ 1 đến 9" in text
    assert "phường/xã nào" in text
    await chat.send("1")
    text = await chat.send("sao hoa")
    assert "không tìm thấy" in text and "thôn/tổ dân phố nào" in text
    await chat.send("1")
    text = await chat.send("maybe")
    assert "“có” hoặc “không”" in text and "Đúng không?" in text


async def test_restart_mid_flow_resumes(settings: Settings, clock: ManualClock) -> None:
    async with open_runtime(settings, clock) as first:
        from bot.demo import seed_demo

        await seed_demo(first.services)
        chat = Transcript(first.router, "fam")
        await chat.send("/start")
        await chat.send("1")
        await chat.send("2")  # Phường Tích Sơn
    async with open_runtime(settings, clock) as second:
        chat = Transcript(second.router, "fam")
        text = await chat.send("1")  # first village of Tích Sơn
        assert "Tổ dân phố Vĩnh Thịnh, Phường Tích Sơn" in text


async def test_an_invite_sent_before_consent_survives_a_restart(
    settings: Settings, clock: ManualClock
) -> None:
    """/start CODE, the bot restarts (or another process answers), then "đồng ý": the invite is
    applied. Until then only a hash of the chat key, the code and its expiry were stored."""
    async with open_runtime(settings, clock) as first:
        await seed_demo(first.services)
        invite = await accounts.create_invite(first.services, "officer", "lien_bao", by="test")
        assert "Bạn có đồng ý không?" in await Transcript(first.router, "cb").send(f"/start {invite.code}")
        conn = first.services.store.read.conn
        [row] = await conn.fetch_all("SELECT key_hash, code FROM pending_invites")
        assert row[1] == invite.code and "console" not in row[0] and "cb" not in row[0]
        assert await first.services.store.read.users.by_key("console:cb") is None
    async with open_runtime(settings, clock) as second:
        text = await Transcript(second.router, "cb").send("dong y")
        assert "Bạn đã trở thành cán bộ khuyến học phụ trách: Phường Liên Bảo" in text
        assert await second.services.store.read.conn.fetch_all("SELECT code FROM pending_invites") == []


async def test_an_invite_sent_before_consent_goes_when_declined_or_a_day_old(
    app: Runtime, clock: ManualClock
) -> None:
    invite = await accounts.create_invite(app.services, "officer", "lien_bao", by="test")
    conn = app.services.store.read.conn
    declining = Transcript(app.router, "no")
    await declining.send(f"/start {invite.code}")
    assert "không lưu gì" in await declining.send("ko dong y")
    assert await conn.fetch_all("SELECT code FROM pending_invites") == []
    late = Transcript(app.router, "late")
    await late.send(f"/start {invite.code}")
    clock.advance(timedelta(hours=25))
    text = await late.send("dong y")
    assert "phường/xã nào" in text and "cán bộ khuyến học phụ trách" not in text
    assert await conn.fetch_all("SELECT code FROM pending_invites") == []


async def test_family_cannot_run_officer_or_admin_commands(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    for command in ("/nguoidung", "/moi lien_bao"):
        text = await chat.send(command)
        assert "chỉ dành cho cán bộ" in text
    # a forged button payload is checked on the server side too
    text = await chat.press("invite:lien_bao")
    assert "chỉ dành cho cán bộ" in text


async def test_cancel_discards_the_flow(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send("/khuvuc")
    text = await chat.send("/huy")
    assert "Đã hủy" in text
    text = await chat.send("/huy")
    assert "Không có việc gì" in text


async def test_help_during_flow_reasks_step(app: Runtime, chat: Transcript) -> None:
    await chat.send("/start")
    await chat.send("1")
    text = await chat.send("/help")
    assert "/lichhoc" in text and "phường/xã nào" in text


async def test_commands_typed_as_words_without_slash(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    text = await chat.send("lich hoc")
    assert "Các buổi tập huấn sắp tới" in text
    text = await chat.send("Du lieu")
    assert "Mọi dữ liệu tôi lưu về bạn" in text


async def test_a_consent_tapped_again_gets_one_sensible_reply(app: Runtime) -> None:
    chat = Transcript(app.router, "double")
    await chat.send("/start")
    agree = chat.buttons[0]
    await chat.press(agree)
    question = chat.replies[-1]
    for _tap in range(9):  # a double tap, then an impatient person
        text = await chat.press(agree)
        assert len(chat.replies) == 1, text
        assert "Bạn đã đồng ý rồi" in text and "Tôi không tìm thấy lựa chọn đó" not in text
        assert chat.replies[0].buttons == question.buttons  # the ward list stays the last thing shown
    assert "bạn ở thôn/tổ dân phố nào" in await chat.send("1")
    await chat.send("1")
    await chat.send("1")  # yes, that is where I live
    text = await chat.press(agree)  # long after, outside any form
    assert len(chat.replies) == 1 and "Bạn đã đồng ý rồi" in text and "/trogiup" in text
    assert "Bạn đã đồng ý rồi" in await chat.press("consent:no:vi")
