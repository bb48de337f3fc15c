"""Handing a question to the officers of the family's area: storage, outbox rows, the reply flow."""

from __future__ import annotations

from datetime import timedelta

from bot import accounts
from bot.bootstrap import Runtime
from bot.clock import ManualClock
from bot.delivery.notify import to_reply
from storage.outbox import DueMessage
from tests.helpers import Transcript

UNSURE = "nha toi o xa truong thi co duoc ho tro xe dua don ko"


async def due(app: Runtime, prefix: str) -> list[DueMessage]:
    rows = await app.services.store.read.outbox.due(app.services.clock.now() + timedelta(days=30))
    return [r for r in rows if r.purpose.startswith(prefix)]


async def hand_off(app: Runtime, chat: Transcript) -> int:
    """Ask something the bot is unsure of and send it to the officer; the question's id."""
    await chat.send(UNSURE)
    assert chat.buttons[-1] == "faqh:send"
    text = await chat.press("faqh:send")
    assert "Tôi đã gửi câu hỏi của bạn cho cán bộ khuyến học Tổ dân phố 1" in text
    user = await app.services.store.read.users.by_key(f"console:{chat.user_id}")
    assert user is not None
    questions = await app.services.store.read.questions.by_user(user.id)
    return questions[-1].id


async def test_family_asks_officer_answers_family_receives(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()  # Tổ dân phố 1, Phường Liên Bảo: the demo officer's ward
    qid = await hand_off(app, chat)
    store = app.services.store.read
    question = await store.questions.get(qid)
    assert question is not None and question.is_open and question.text == UNSURE
    assert question.area_id == "lien_bao.tdp1"

    [notice] = await due(app, "faq-question:")
    officer_user = await store.users.by_key("console:officer")
    assert officer_user is not None and notice.user_id == officer_user.id
    assert f"«{UNSURE}»" in to_reply(notice).text and "Nguyễn Văn An" in to_reply(notice).text
    assert [b.payload for b in to_reply(notice).flat_buttons] == [f"fq:{qid}"]

    officer = Transcript(app.router, "officer")
    text = await officer.press(f"fq:{qid}")
    assert f"Câu hỏi số {qid}" in text and "gõ câu trả lời" in text
    text = await officer.send("Xe đưa đón do nhà trường quyết định; bác liên hệ cô hiệu trưởng nhé.")
    assert "Gửi câu trả lời này cho gia đình?" in text
    text = await officer.send("1")
    assert "Đã gửi. Tôi sẽ chuyển câu trả lời tới gia đình." in text

    answered = await store.questions.get(qid)
    assert answered is not None and not answered.is_open
    assert answered.answered_by == officer_user.id
    [answer] = await due(app, "faq-answer:")
    assert answer.purpose == f"faq-answer:{qid}"
    assert answer.channel == "console" and answer.chat_id == "fam"
    assert "Cán bộ khuyến học Phường Liên Bảo" in to_reply(answer).text
    assert "liên hệ cô hiệu trưởng" in to_reply(answer).text and UNSURE in to_reply(answer).text
    assert [b.payload for b in to_reply(answer).flat_buttons] == ["faqh:new"]

    # Pressing the reply button again shows the answer instead of answering twice.
    text = await officer.press(f"fq:{qid}")
    assert "Câu hỏi này đã được trả lời" in text
    assert len(await due(app, "faq-answer:")) == 1


async def test_the_question_is_stored_only_when_the_family_sends_it(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send(UNSURE)
    user = await app.services.store.read.users.by_key("console:fam")
    assert user is not None and await app.services.store.read.questions.by_user(user.id) == []
    assert await due(app, "faq-question:") == []


async def test_officer_can_rewrite_the_answer_before_sending(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    qid = await hand_off(app, chat)
    officer = Transcript(app.router, "officer")
    await officer.press(f"fq:{qid}")
    await officer.send("Bản nháp")
    text = await officer.press("confirm:no")
    assert "gõ câu trả lời" in text
    await officer.send("Bản chính thức")
    await officer.press("confirm:yes")
    [answer] = await due(app, "faq-answer:")
    assert "Bản chính thức" in to_reply(answer).text and "Bản nháp" not in to_reply(answer).text


async def test_only_officers_of_the_area_may_answer(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    qid = await hand_off(app, chat)
    # A forged reply button from the family is refused.
    assert "chỉ dành cho cán bộ" in await chat.press(f"fq:{qid}")
    # An officer of another ward may not answer it either.
    other = Transcript(app.router, "off2")
    await other.onboard(ward_number=2)
    await accounts.grant_role(app.services, "console:off2", "officer", "tich_son", by="test")
    assert "không thuộc địa bàn" in await other.press(f"fq:{qid}")
    assert "Không có câu hỏi nào đang chờ" in await other.send("/cauhoichuatraloi")
    # The admin may.
    admin = Transcript(app.router, "admin")
    await admin.press(f"fq:{qid}")
    await admin.send("Trả lời của quản trị")
    assert "Đã gửi" in await admin.send("co")


async def test_a_question_answered_meanwhile_is_not_answered_twice(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    qid = await hand_off(app, chat)
    officer = Transcript(app.router, "officer")
    admin = Transcript(app.router, "admin")
    await officer.press(f"fq:{qid}")
    await admin.press(f"fq:{qid}")
    await officer.send("Câu trả lời thứ nhất")
    await admin.send("Câu trả lời thứ hai")
    assert "Đã gửi" in await officer.send("co")
    assert "đã có cán bộ khác trả lời" in await admin.send("co")
    [answer] = await due(app, "faq-answer:")
    assert "Câu trả lời thứ nhất" in to_reply(answer).text


async def test_open_questions_are_listed_and_marked_late_after_48_hours(
    app: Runtime, chat: Transcript, clock: ManualClock
) -> None:
    await chat.onboard()
    first = await hand_off(app, chat)
    officer = Transcript(app.router, "officer")
    text = await officer.send("/cauhoichuatraloi")
    assert "tổng cộng 1, trong đó 0 câu đã chờ quá 48 giờ" in text
    assert "⚠️" not in text and f"fq:{first}" in officer.buttons
    clock.advance(timedelta(hours=49))
    second = await hand_off(app, chat)
    text = await officer.send("/cauhoichuatraloi")
    assert "tổng cộng 2, trong đó 1 câu đã chờ quá 48 giờ" in text
    assert f"⚠️ Số {first}" in text and f"• Số {second}" in text
    assert officer.buttons == [f"fq:{first}", f"fq:{second}"]
    assert "chỉ dành cho cán bộ" in await chat.send("/cauhoichuatraloi")


async def test_without_an_officer_in_the_area_the_admins_receive_it(app: Runtime, chat: Transcript) -> None:
    await chat.onboard(ward_number=2)  # Phường Tích Sơn has no officer in the demo
    await chat.send(UNSURE)
    text = await chat.press("faqh:send")
    assert "gửi câu hỏi cho quản trị viên của Hội" in text
    [notice] = await due(app, "faq-question:")
    admin = await app.services.store.read.users.by_key("console:admin")
    assert admin is not None and notice.user_id == admin.id


async def test_ask_an_officer_with_the_command(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    text = await chat.send("/hoicanbo")
    assert "gõ câu hỏi gửi cán bộ khuyến học Tổ dân phố 1" in text
    text = await chat.send("Cho hỏi lịch họp bình xét năm nay ở thôn mình là hôm nào ạ?")
    assert "Tôi đã gửi câu hỏi của bạn" in text
    [notice] = await due(app, "faq-question:")
    assert "lịch họp bình xét" in to_reply(notice).text
    # From the answer to "how do I contact an officer", a button starts the same.
    await chat.send("muon gap can bo khuyen hoc")
    assert chat.buttons[0] == "faqh:new"
    assert "gõ câu hỏi gửi cán bộ" in await chat.press("faqh:new")
    assert "Đã hủy" in await chat.send("/huy")


async def test_when_the_family_deletes_its_data_the_question_goes_too(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    qid = await hand_off(app, chat)
    await chat.send("/xoadulieu")
    await chat.send("co")
    assert await app.services.store.read.questions.get(qid) is None
    officer = Transcript(app.router, "officer")
    assert "không còn nữa" in await officer.press(f"fq:{qid}")


REPLY_CONFIRM_ROWS = [
    # (typed at "Send this answer to the family?", what follows)
    ("gui", "Đã gửi"),
    ("ok gui di", "Đã gửi"),
    ("1", "Đã gửi"),
    ("viet lai", "gõ câu trả lời"),
    ("sua", "gõ câu trả lời"),
    ("ko gui", "gõ câu trả lời"),
    ("2", "gõ câu trả lời"),
    ("co le", "“có” hoặc “không”"),
]


async def test_the_reply_confirmation_typed(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    officer = Transcript(app.router, "officer")
    for typed, follows in REPLY_CONFIRM_ROWS:
        qid = await hand_off(app, chat)
        await officer.send("/huy")
        await officer.press(f"fq:{qid}")
        assert "Gửi câu trả lời này cho gia đình?" in await officer.send("Xin chờ thông báo của phường")
        assert follows in await officer.send(typed), typed


async def test_an_officer_no_longer_an_officer_is_refused_and_the_form_ends(
    app: Runtime, chat: Transcript
) -> None:
    await chat.onboard()
    qid = await hand_off(app, chat)
    officer = Transcript(app.router, "officer")
    await officer.press(f"fq:{qid}")
    await officer.send("Câu trả lời")
    await accounts.revoke_role(app.services, "console:officer", "officer", by="test")
    assert "chỉ dành cho cán bộ" in await officer.send("gui")
    user = await app.services.store.read.users.by_key("console:officer")
    assert user is not None and (await app.services.store.read.conversations.load(user.id)).flow is None
    assert not await due(app, "faq-answer:")
