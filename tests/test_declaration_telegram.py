"""The declaration on Telegram, end to end: the real bot (PTB, polling) against the fake Bot API.

A household of five with buttons and typed answers, three wrong answers, a restart of the bot
in the middle and a change from the summary; then an officer on Telegram confirms it and the
family receives the notice through the outbox and the delivery worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import accounts
from bot.bootstrap import background
from handlers.declaration.criteria import load_criteria
from tests.fakes.telegram_api import BotMessage, FakeChat, FakeTelegram

if TYPE_CHECKING:  # imported by pytest as a plugin; importing it here first would skip its rewrite
    from tests.fakes.fixtures import TelegramBot

pytest_plugins = ("tests.fakes.fixtures",)

MORE = "Gia đình còn ai khác cùng sống không?"
ACTIVITIES = "trong 12 tháng qua"
SUMMARY = "Mời bạn kiểm tra bản khai báo"


async def wrong(api: FakeTelegram, chat: FakeChat, text: str, hint: str, question: str) -> None:
    """A wrong answer: a hint, then the same question again (the last message of the turn)."""
    mark = api.mark()
    await chat.send(text, expect=hint)
    await api.wait_for_message(chat.chat_id, contains=question, after=mark)


async def member(chat: FakeChat, relation: str, born: str, learning: str, expect: str = MORE) -> BotMessage:
    await chat.tap("Thêm thành viên", expect="người này là gì của chủ hộ")
    await chat.tap(relation, expect="người này sinh năm nào?")
    await chat.send(born, expect="đang học gì?")
    return await chat.tap(learning, expect=expect)


async def test_household_of_five_on_telegram(telegram_api: FakeTelegram, telegram_bot: TelegramBot) -> None:
    an = telegram_api.chat(telegram_api.new_user("An", "Nguyễn Văn"))
    await an.onboard()

    mark = telegram_api.mark()
    await an.send("/khaibao", expect="họ và tên chủ hộ")
    intro = telegram_api.messages_since(an.chat_id, mark)[0]
    assert "<b>Khai báo học tập của gia đình — “Gia đình học tập” năm 2026</b>" in intro.text  # HTML
    await wrong(telegram_api, an, "An 123", "Họ tên không có chữ số", "họ và tên chủ hộ")
    area = await an.send("Nguyễn Văn An", expect="Đúng không ạ?")
    assert area.labels == ["Đúng rồi", "Không, chọn nơi khác"]
    await an.tap("Đúng rồi", expect="sinh năm nào?")
    await wrong(telegram_api, an, "75", "bốn chữ số", "sinh năm nào?")
    learning = await an.send("1975", expect="đang học gì?")
    assert "Hiện không đi học" in learning.labels and len(learning.labels) == 10
    await an.tap("Hiện không đi học", expect="biết đọc, biết viết không")
    activities = await an.tap("Có", expect=ACTIVITIES)
    assert activities.labels[-2:] == ["Không có mục nào", "Xong"]
    await an.tap("▫️ Lớp tập huấn hoặc bồi dưỡng", expect="Đã chọn: Lớp tập huấn hoặc bồi dưỡng")
    ticked = await an.tap("▫️ Đọc sách hoặc báo", expect="Đã chọn: Lớp tập huấn hoặc bồi dưỡng, Đọc sách")
    assert "✅ Đọc sách hoặc báo" in ticked.labels
    # Ticks update the list in place: one message, edited twice, no copies piling up.
    assert ticked.message_id == activities.message_id and ticked.edits == 2
    await an.tap("Xong", expect=MORE)

    await member(an, "Vợ hoặc chồng", "1978", "Tự học", expect="biết đọc, biết viết không")
    await an.tap("Có", expect=ACTIVITIES)
    await wrong(telegram_api, an, "9", "Xin lỗi, tôi chưa hiểu", ACTIVITIES)
    await an.tap("▫️ Học trực tuyến trên mạng", expect="Đã chọn: Học trực tuyến trên mạng")
    await an.tap("Xong", expect=MORE)
    await member(an, "Con", "2012", "Trung học cơ sở (cấp 2)")

    await telegram_bot.restart()  # a new process on the same database, in the middle of the form

    await member(an, "Con", "2019", "Tiểu học (cấp 1)")  # the keyboard sent before the restart works
    await member(an, "Ông hoặc bà", "1948", "Hiện không đi học")  # over 60: the village review
    await an.tap("Đã đủ, không còn ai", expect="điều kiện học tập nào")
    await an.tap("▫️ Tủ sách hoặc góc đọc sách", expect="Đã chọn: Tủ sách hoặc góc đọc sách")
    await an.tap("Xong", expect="sinh hoạt học tập ở cộng đồng")
    await an.tap("Thỉnh thoảng (1–2 lần)", expect="ghi chú")
    summary = await an.tap("Bỏ qua", expect=SUMMARY)
    assert "Thành viên (5 người)" in summary.plain
    assert "3. Con, sinh năm 2012 (14 tuổi)" in summary.plain

    # Change member 3 from the summary, then come back to it with everything else kept.
    await an.tap("Sửa thành viên", expect="thành viên nào?")
    await an.tap("Con, sinh năm 2012", expect="Bạn muốn làm gì")
    await an.tap("Sửa thông tin người này", expect="người này là gì của chủ hộ")
    await an.tap("Con", expect="(Hiện ghi: 2012.)")
    await an.send("2011", expect="đang học gì?")
    summary = await an.tap("Trung học phổ thông (cấp 3)", expect=SUMMARY)
    assert "3. Con, sinh năm 2011 (15 tuổi) — Trung học phổ thông (cấp 3)" in summary.plain
    assert "Thành viên (5 người)" in summary.plain and "Đọc sách hoặc báo" in summary.plain

    mark = telegram_api.mark()
    await an.tap("Gửi bản khai báo", expect="Cán bộ khuyến học ở địa bàn sẽ xem xét")
    sent = "\n".join(m.plain for m in telegram_api.messages_since(an.chat_id, mark))
    assert "Bản khai báo năm 2026 của gia đình đã được gửi" in sent
    assert "Tự đánh giá — tạm thời" in sent
    for criterion in load_criteria().items:
        assert criterion.title.vi in sent
    assert "🔎 Ông bà, người trên 60 tuổi" in sent and "Chưa đạt: 5. Ông hoặc bà" not in sent

    # An officer on Telegram confirms it; the family is told once, through the outbox.
    hoa = telegram_api.chat(telegram_api.new_user("Hoa", "Lê Thị"))
    await hoa.onboard()
    app = telegram_bot.app
    await accounts.grant_role(app.services, f"telegram:{hoa.user.id}", "officer", "lien_bao", by="test")
    listing = await hoa.send("/duyet", expect="Bản khai báo chờ xem xét — Phường Liên Bảo (1)")
    opened = listing.labels[0]
    await hoa.tap(opened, expect="Lịch sử thay đổi")
    async with background(app, {"telegram": telegram_bot.channel}):
        await hoa.tap("Xác nhận", expect="Đã xác nhận bản khai báo")
        notice = await telegram_api.wait_for_message(
            an.chat_id, contains="xác nhận các thông tin", after=mark
        )
    assert notice.labels == ["Xem bản khai báo"]
    await an.tap("Xem bản khai báo", expect="cán bộ đã xác nhận thông tin; tiếp theo thôn bình xét")
    notices = [t for t in telegram_api.texts(an.chat_id) if "xác nhận các thông tin" in t]
    assert len(notices) == 1
    rows = await app.services.store.read.outbox.rows("review:")
    assert [r.state for r in rows] == ["sent"]
    assert telegram_api.violations == []
