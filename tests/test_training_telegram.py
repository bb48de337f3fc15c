"""End to end on Telegram: sign up, receive the reminder, cancel with the reminder's button.

The real bot (PTB, polling) against the fake Bot API; the real delivery worker sends the outbox;
the real scheduler, with the features' due work as the bot runs it, decides the reminder when the
ManualClock reaches its time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.bootstrap import background
from bot.clock import ManualClock
from handlers.training.service import REMINDERS
from tests.fakes.telegram_api import FakeTelegram
from tests.test_training_support import add_session, local

if TYPE_CHECKING:  # imported by pytest as a plugin; importing it here first would skip its rewrite
    from tests.fakes.fixtures import TelegramBot

pytest_plugins = ("tests.fakes.fixtures",)


async def test_sign_up_get_reminded_and_cancel_from_the_reminder(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot, clock: ManualClock
) -> None:
    app = telegram_bot.app
    session = await add_session(app, local(26, 14), title="Tập huấn tiêu chí “Gia đình học tập”")
    an = telegram_api.chat(telegram_api.new_user("An", "Nguyễn Văn"))
    await an.start(expect="Bạn có đồng ý không?")
    await an.tap("Tôi đồng ý", expect="Bạn ở phường/xã nào?")
    await an.tap("Phường Liên Bảo", expect="bạn ở thôn/tổ dân phố nào?")
    await an.tap("Tổ dân phố 1", expect="Đúng không?")
    await an.tap("Đúng rồi", expect="Xong rồi!")

    listing = await an.send("/lichhoc", expect="Các buổi tập huấn sắp tới")
    label = next(x for x in listing.labels if x.startswith("Tập huấn tiêu chí"))
    await an.tap(label, expect="Vẫn còn chỗ")
    await an.tap("Đăng ký", expect="Bạn đã đăng ký buổi")

    async with background(app, {"telegram": telegram_bot.channel}):
        scheduler = app.scheduler
        assert scheduler is not None and scheduler.armed_for(REMINDERS) == local(25, 14)
        mark = telegram_api.mark()
        clock.set(local(25, 14))  # one day before
        await scheduler.tick()
        reminder = await telegram_api.wait_for_message(an.chat_id, contains="Nhắc lịch", after=mark)
        assert "14:00, Thứ Năm, 26/11/2026" in reminder.plain and "Nhà văn hóa" in reminder.plain
        assert reminder.payloads == [f"tr:c:{session.id}"]
        await an.tap("Hủy đăng ký", message=reminder, expect="Hủy đăng ký buổi")
        await an.tap("Có, hủy", expect="Đã hủy đăng ký buổi")
        clock.set(local(26, 12))  # the 2-hour reminder's time: nothing is sent any more
        assert (await scheduler.tick())[REMINDERS].queued == 0

    user = await app.services.store.read.users.by_key(f"telegram:{an.user.id}")
    assert user is not None
    signup = await app.services.store.read.sessions.signups.get(session.id, user.id)
    assert signup is not None and signup.status == "cancelled"
    rows = await app.services.store.read.outbox.rows("reminder:")
    assert [(r.purpose, r.state) for r in rows] == [(f"reminder:{session.id}:1440", "sent")]
    assert sum("Nhắc lịch" in t for t in telegram_api.texts(an.chat_id)) == 1
    assert telegram_api.violations == []
