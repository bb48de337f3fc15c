"""Questions and answers in chat, through the real router (terminal channel)."""

from __future__ import annotations

from bot.bootstrap import Runtime
from bot.clock import ManualClock
from handlers.faq.service import FaqService
from tests.helpers import Transcript


async def test_family_gets_an_answer_with_its_source_and_related_topics(
    app: Runtime, chat: Transcript
) -> None:
    await chat.onboard()
    text = await chat.send("con bi khuyet tat ko di hoc thi co dc gdht ko")
    assert "trừ trường hợp ốm đau, bệnh tật hoặc không có khả năng học" in text
    assert "📄 Nguồn: QĐ 448/QĐ-KHVN, Hội Khuyến học Việt Nam, 01/12/2015" in text
    assert chat.buttons == ["faq:title.gia_dinh", "faq:contact_officer"]
    assert all(len(p.encode()) <= 64 for p in chat.buttons)


async def test_a_related_topic_by_button_or_by_its_typed_number(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send("tiêu chí gia đình học tập")
    assert chat.buttons[0] == "faq:process.register" and chat.buttons[-1] == "faqm:title.gia_dinh"
    text = await chat.press("faq:process.register")
    assert "Đăng ký Gia đình học tập" in text
    await chat.send("tieu chi gia dinh hoc tap")
    text = await chat.send("1")  # the first related topic, typed (Zalo shows no buttons)
    assert "Đăng ký Gia đình học tập" in text


async def test_the_first_message_fits_a_phone_and_more_is_the_last_choice(
    app: Runtime, chat: Transcript
) -> None:
    """Issue 16: what it is, what to do, whom to ask, the source; the rest behind "Xem thêm"."""
    await chat.onboard()
    first = await chat.send("tieu chi gia dinh hoc tap")
    assert "Nguồn: QĐ 448/QĐ-KHVN" in first and "30 điểm" not in first
    assert f"{len(chat.buttons)}. 📖 Xem thêm" in first  # numbered, as on Zalo
    assert chat.buttons[-1] == "faqm:title.gia_dinh" and len(chat.buttons[-1].encode()) <= 64
    related = chat.buttons[:-1]
    more = await chat.press("faqm:title.gia_dinh")
    assert more.startswith("Gia đình học tập: tiêu chí\n") and "30 điểm" in more
    assert chat.buttons == related  # then the related topics, no second "Xem thêm"
    await chat.send("gdht la gi")
    typed = await chat.send(str(len(chat.buttons)))  # typed, as on Zalo
    assert "30 điểm" in typed
    await chat.send("ngay khuyen hoc la ngay nao")  # no details: no "Xem thêm"
    assert not any(p.startswith("faqm:") for p in chat.buttons)
    assert "Nội dung này không còn nữa" in await chat.press("faqm:no.such.topic")


async def test_every_topic_with_details_offers_them_within_one_message(
    app: Runtime, chat: Transcript
) -> None:
    await chat.onboard()
    service = FaqService.load()
    for topic in service.topics("vi"):
        if topic.more:
            text = await chat.press(topic.more_payload)
            assert text.startswith(f"{topic.title}\n"), topic.id
            assert len(service.render_more(topic)) <= 2000, topic.id  # one Zalo message


async def test_old_and_new_tone_placement_get_the_same_answer(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    first = await chat.send("làng văn hoá kiểu mẫu")
    second = await chat.send("làng văn hóa kiểu mẫu")
    assert first == second and "16 chính sách hỗ trợ" in first


async def test_greetings_land_on_help(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    text = await chat.send("xin chào")
    assert "Xin chào! Tôi có thể giúp gì cho bạn?" in text
    assert "/hoicanbo" in text and "/khaibao" in text
    text = await chat.send("bot giúp được những gì")
    assert "/hoicanbo" in text


async def test_thanks_get_a_short_reply(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    assert "Không có gì" in await chat.send("cam on")
    for thanks in ("cảm ơn cháu nhé", "cam on bot nhieu nha", "ok cảm ơn ad", "Cám ơn bác ạ!"):
        text = await chat.send(thanks)
        assert "Không có gì" in text and "chưa chắc" not in text, thanks
        assert chat.buttons == [], thanks  # no unrelated suggestions
    assert "Vâng" in await chat.send("dạ vâng ạ")
    assert "Xin chào" in await chat.send("chào cháu")
    assert await app.services.store.read.questions.count_misses(app.services.clock.now().date()) == 0


async def test_a_lone_word_or_a_number_gets_a_polite_reply_not_a_topic(
    app: Runtime, chat: Transcript
) -> None:
    await chat.onboard()
    for typed in ("học", "gia đình", "tiền", "2025", "0912345678"):
        text = await chat.send(typed)
        assert "gõ cả câu hỏi" in text, typed
        assert "Nguồn:" not in text and "chưa chắc" not in text, typed
    text = await chat.send("2025")
    assert "/khaibao" in text and "/hoicanbo" in text  # what I can do instead
    await chat.send("quỹ")
    assert "faq:quy_khuyen_hoc" in chat.buttons  # the topics of that word, to choose from
    assert await app.services.store.read.questions.count_misses(app.services.clock.now().date()) == 0


async def test_unsure_offers_the_nearest_topics_and_an_officer_and_logs_the_text_only(
    app: Runtime, chat: Transcript, clock: ManualClock
) -> None:
    await chat.onboard()
    text = await chat.send("gia vang hom nay bao nhieu")
    assert "Tôi chưa chắc mình có câu trả lời" in text
    assert chat.buttons[-1] == "faqh:send"
    assert 2 <= len(chat.buttons) <= 4 and all(p.startswith("faq:") for p in chat.buttons[:-1])
    store = app.services.store.read
    misses = await store.questions.frequent_misses(clock.now().date())
    assert [(m.example, m.count) for m in misses] == [("gia vang hom nay bao nhieu", 1)]
    # Nothing was handed to an officer: the person did not ask for it.
    user = await store.users.by_key("console:fam")
    assert user is not None and await store.questions.by_user(user.id) == []


async def test_english_speakers_get_english_answers(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send("/lang en")
    text = await chat.send("do grandparents over 60 have to study")
    assert "I have no national rule saying how grandparents" in text
    assert "📄 Source: QĐ 448/QĐ-KHVN, Vietnam Study Promotion Association" in text


async def test_guests_may_ask_but_nothing_is_stored(app: Runtime, chat: Transcript) -> None:
    text = await chat.send("tieu chi dong ho hoc tap")
    assert "Dòng họ học tập" in text and "Nguồn: QĐ 387/QĐ-TTg" in text
    assert "Tôi chưa lưu gì về bạn" in text
    assert chat.buttons == []  # before consent a typed "1" means "I agree"
    text = await chat.send("tieu chi gia dinh hoc tap")  # has details: the note says how to see them
    assert "30 điểm" not in text and "“Xem thêm”" in text and "/start" in text
    assert chat.buttons == []
    text = await chat.press("faqm:title.gia_dinh")  # an old button from before consent was withdrawn
    assert "30 điểm" in text and chat.buttons == []
    store = app.services.store.read
    assert await store.users.by_key("console:fam") is None
    assert await store.questions.count_misses(app.services.clock.now().date()) == 0


async def test_guests_unsure_or_asking_for_an_officer_get_the_consent_notice(
    app: Runtime, chat: Transcript
) -> None:
    text = await chat.send("thoi tiet hom nay the nao")
    assert "chỉ sau khi bạn đồng ý" in text and "Bạn có đồng ý không?" in text
    text = await chat.press("faqh:send")
    assert "trước hết bạn cần đồng ý" in text and "Bạn có đồng ý không?" in text
    text = await chat.send("/khaibao")  # a command before consent still asks for consent
    assert "Bạn có đồng ý không?" in text and "Tự khai báo" not in text
    assert await app.services.store.read.users.by_key("console:fam") is None
    assert await app.services.store.read.questions.count_misses(app.services.clock.now().date()) == 0


async def test_guest_consent_words_still_work(app: Runtime, chat: Transcript) -> None:
    await chat.send("tieu chi gia dinh hoc tap")
    text = await chat.send("dong y")
    assert "phường/xã nào" in text


async def test_a_forged_or_old_topic_button(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    text = await chat.press("faq:no.such.topic")
    assert "Nội dung này không còn nữa" in text


async def test_only_officers_and_admins_reload_the_knowledge_base(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    assert "chỉ dành cho cán bộ" in await chat.send("/taidulieu")
    officer = Transcript(app.router, "officer")
    text = await officer.send("/taidulieu")
    assert "Đã tải lại kho hỏi–đáp: 31 nội dung tiếng Việt, 31 nội dung tiếng Anh." in text


async def test_admins_see_the_most_frequent_unanswered_questions(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    other = Transcript(app.router, "fam2")
    await other.onboard()
    await chat.send("gia lua hom nay")
    await other.send("Giá lúa hôm nay?")
    await other.send("ket qua bong da")
    officer = Transcript(app.router, "officer")
    assert "chỉ dành cho cán bộ" in await officer.send("/cauhoi")
    admin = Transcript(app.router, "admin")
    text = await admin.send("/cauhoi")
    assert "Câu hỏi tôi chưa trả lời được trong 30 ngày qua: 3." in text
    lines = text.splitlines()
    assert lines[1].startswith("2 lần: «Giá lúa hôm nay?»")
    assert lines[2].startswith("1 lần: «ket qua bong da»")
