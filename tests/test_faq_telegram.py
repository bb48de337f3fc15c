"""Handoff on Telegram, end to end: the real bot (PTB, polling) against the fake Bot API.

A family asks something the knowledge base cannot answer and sends it to the officer; the
officer (on Telegram too) receives it through the outbox and the delivery worker, answers with
the reply button, and the family receives the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import accounts
from bot.bootstrap import background
from tests.fakes.telegram_api import FakeTelegram

if TYPE_CHECKING:  # imported by pytest as a plugin; importing it here first would skip its rewrite
    from tests.fakes.fixtures import TelegramBot

pytest_plugins = ("tests.fakes.fixtures",)

UNSURE = "nha toi o xa truong thi co duoc ho tro xe dua don ko"
ANSWER = "Xe đưa đón do nhà trường quyết định; bác hỏi cô hiệu trưởng nhé."


async def test_family_asks_officer_answers_family_receives(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    an = telegram_api.chat(telegram_api.new_user("An", "Nguyễn Văn"))
    await an.onboard()
    hoa = telegram_api.chat(telegram_api.new_user("Hoa", "Lê Thị"))
    await hoa.onboard()
    app = telegram_bot.app
    await accounts.grant_role(app.services, f"telegram:{hoa.user.id}", "officer", "lien_bao", by="test")

    answer = await an.send("gdht la gi", expect="📄 Nguồn: QĐ 448/QĐ-KHVN")
    assert "<b>Gia đình học tập: tiêu chí</b>" in answer.text  # HTML
    assert "Đăng ký danh hiệu: ở đâu, khi nào" in answer.labels
    await an.tap("Đăng ký danh hiệu: ở đâu, khi nào", expect="mỗi năm gia đình đăng ký lại")

    unsure = await an.send(UNSURE, expect="Tôi chưa chắc")
    assert unsure.labels[-1] == "📨 Gửi câu hỏi cho cán bộ"
    async with background(app, {"telegram": telegram_bot.channel}):
        mark = telegram_api.mark()
        await an.tap("📨 Gửi câu hỏi cho cán bộ", expect="Tôi đã gửi câu hỏi của bạn")
        notice = await telegram_api.wait_for_message(hoa.chat_id, contains=UNSURE, after=mark)
        assert "Câu hỏi của An Nguyễn Văn (Tổ dân phố 1, Phường Liên Bảo)" in notice.plain
        assert notice.labels == ["✍️ Trả lời"]
        await hoa.tap("✍️ Trả lời", expect="gõ câu trả lời", message=notice)
        await hoa.send(ANSWER, expect="Gửi câu trả lời này cho gia đình?")
        await hoa.tap("Gửi đi", expect="Đã gửi. Tôi sẽ chuyển câu trả lời tới gia đình.")
        received = await telegram_api.wait_for_message(
            an.chat_id, contains="đã trả lời câu hỏi của bạn", after=mark
        )
    assert ANSWER in received.plain and UNSURE in received.plain
    assert received.labels == ["Hỏi cán bộ câu khác"]
    answers = [t for t in telegram_api.texts(an.chat_id) if ANSWER in t]
    assert len(answers) == 1

    store = app.services.store.read
    family = await store.users.by_key(f"telegram:{an.user.id}")
    officer = await store.users.by_key(f"telegram:{hoa.user.id}")
    assert family is not None and officer is not None
    rows = {(r.user_id, r.purpose.split(":")[0]): r.state for r in await store.outbox.rows("faq-")}
    assert rows[(officer.id, "faq-question")] == "sent"
    assert rows[(family.id, "faq-answer")] == "sent"
    [question] = await store.questions.by_user(family.id)
    assert question.answer == ANSWER and question.answered_by == officer.id
    assert telegram_api.violations == []
