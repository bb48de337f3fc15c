"""The family's declaration in the terminal chat: the whole form, restarts, changes, uniqueness."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.bootstrap import Runtime, open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.demo import seed_demo
from handlers.declaration import service
from handlers.declaration.criteria import load_criteria
from tests.helpers import Transcript

HEAD_QUESTION = "họ và tên chủ hộ"
SUMMARY = "Mời bạn kiểm tra bản khai báo"
PROVISIONAL = "tạm thời, cho đến khi cán bộ khuyến học xem xét"


async def declare_small(
    chat: Transcript, head: str = "Trần Thị Bình", note: str | None = None, send: bool = True
) -> str:
    """A household of two, typed in the terminal; returns the answer to sending it (or the summary)."""
    await chat.send("/khaibao")
    await chat.send(head)
    await chat.send("1")  # the area chosen at onboarding is right
    await chat.send("1980")
    await chat.send("khong")  # not studying now
    await chat.send("co")  # can read and write
    await chat.send("3")  # reading: a typed message is the whole answer
    await chat.send("co")  # another member
    await chat.send("con")
    await chat.send("2015")
    await chat.send("tieu hoc")
    await chat.send("khong")  # nobody else
    await chat.send("1")  # a bookshelf
    await chat.send("1")  # often at community events
    summary = await chat.send(note or "bo qua")
    return await chat.send("gui") if send else summary


async def test_household_of_five_with_mistakes_a_restart_and_changes(
    settings: Settings, clock: ManualClock
) -> None:
    async with open_runtime(settings, clock) as first:
        await seed_demo(first.services)
        chat = Transcript(first.router, "fam")
        await chat.onboard()
        text = await chat.send("/khaibao")
        assert "“Gia đình học tập” năm 2026" in text and HEAD_QUESTION in text
        assert "không hỏi số căn cước" in text

        text = await chat.send("An 123")  # wrong answer 1: digits in a name
        assert "Họ tên không có chữ số" in text and HEAD_QUESTION in text
        text = await chat.send("nguyễn văn an")
        assert "Gia đình ở: Tổ dân phố 1, Phường Liên Bảo" in text
        text = await chat.send("dung")
        assert "Chủ hộ Nguyễn Văn An sinh năm nào?" in text

        text = await chat.send("75")  # wrong answer 2: two digits
        assert "bốn chữ số" in text and "sinh năm nào" in text
        text = await chat.send("1975")
        assert "1. Chủ hộ, sinh năm 1975: hiện nay người này đang học gì?" in text
        text = await chat.send("khong")
        assert "có biết đọc, biết viết không" in text
        text = await chat.send("co")
        assert "trong 12 tháng qua" in text and "Đã chọn" not in text
        text = await chat.send("1 3")  # a typed message is the whole answer: on to the next question
        assert "Đã chọn: Lớp tập huấn hoặc bồi dưỡng, Đọc sách hoặc báo" in text
        assert "Đã ghi: 1. Chủ hộ, sinh năm 1975." in text and "Đã ghi 1 thành viên" in text

        await chat.send("them")
        text = await chat.send("vo")
        assert "2. Vợ hoặc chồng: người này sinh năm nào?" in text
        await chat.send("1978")
        await chat.send("tu hoc")
        await chat.send("co")
        text = await chat.send("9")  # wrong answer 3: there is no activity 9
        assert "Xin lỗi, tôi chưa hiểu" in text and "trong 12 tháng qua" in text
        text = await chat.send("doc sach, hoc truc tuyen, xong")  # words, and "xong" in one message
        assert "Đã ghi: 2. Vợ hoặc chồng, sinh năm 1978." in text

        await chat.send("co")
        await chat.send("con")
        text = await chat.send("3000")  # wrong answer 4: a year in the future
        assert "Năm 3000 có vẻ chưa đúng" in text and "từ 1906 đến 2026" in text
        text = await chat.send("2012")
        text = await chat.send("cap 2")  # a 14-year-old: no literacy or activity questions
        assert "Đã ghi: 3. Con, sinh năm 2012." in text and "Gia đình còn ai khác" in text

    # The bot stops and starts again on the same database: the draft is still there.
    async with open_runtime(settings, clock) as second:
        chat = Transcript(second.router, "fam")
        text = await chat.send("co")
        assert "Thành viên thứ 4" in text
        await chat.send("con")
        await chat.send("2019")
        text = await chat.send("tieu hoc")
        assert "Đã ghi: 4. Con, sinh năm 2019." in text
        await chat.send("co")
        await chat.send("ong ba")
        await chat.send("1948")
        text = await chat.send("khong")  # 78: over 60, left to the village review: no more questions
        assert "trong 12 tháng qua" not in text and "biết đọc" not in text
        assert "Đã ghi: 5. Ông hoặc bà, sinh năm 1948." in text
        text = await chat.send("khong")  # nobody else
        assert "Gia đình có những điều kiện học tập nào" in text
        await chat.send("1 2")
        text = await chat.send("thinh thoang")
        assert "ghi chú" in text
        text = await chat.send("Cháu lớn đạt học sinh giỏi cấp tỉnh")
        assert SUMMARY in text and "Thành viên (5 người)" in text
        assert "3. Con, sinh năm 2012 (14 tuổi) — Trung học cơ sở (cấp 2)" in text
        assert "Điều kiện học tập ở nhà: Tủ sách hoặc góc đọc sách, Góc học tập cho các cháu" in text

        # Change member 3 from the summary, then the conditions: nothing else is lost.
        text = await chat.send("sửa 4")
        assert "Bạn muốn sửa thông tin thành viên nào?" in text
        text = await chat.send("3")
        assert "Bạn muốn làm gì với thành viên 3. Con, sinh năm 2012?" in text
        await chat.send("1")
        await chat.send("con")
        text = await chat.send("2011")
        text = await chat.send("cap 3")
        assert "Đã ghi: 3. Con, sinh năm 2011." in text and SUMMARY in text
        assert "3. Con, sinh năm 2011 (15 tuổi) — Trung học phổ thông (cấp 3)" in text
        text = await chat.send("sua dieu kien")
        assert "Đã chọn: Tủ sách hoặc góc đọc sách, Góc học tập cho các cháu" in text
        text = await chat.send("1 2 3")  # the whole answer again, with 3 added
        assert "Đã chọn: Tủ sách hoặc góc đọc sách, Góc học tập cho các cháu, Internet" in text
        assert SUMMARY in text and "Internet dùng cho việc học" in text
        assert "Ghi chú: Cháu lớn đạt học sinh giỏi cấp tỉnh" in text and "Thành viên (5 người)" in text

        text = await chat.send("1")  # send
        assert "Bản khai báo năm 2026 của gia đình đã được gửi" in text
        assert PROVISIONAL in text
        criteria = load_criteria()
        for criterion in criteria.items:  # the self-assessment lists each criterion
            assert criterion.title.vi in text
        assert "✅ Mọi trẻ em trong độ tuổi phổ cập" in text
        adults = "Mỗi người lớn (ở đây: 19–60 tuổi) tham gia ít nhất một hoạt động học tập trong năm"
        assert f"✅ {adults}: đạt" in text
        assert "🔎 Ông bà, người trên 60 tuổi" in text and "Không tính là chưa đạt" in text
        assert "Chưa đạt: 5. Ông hoặc bà" not in text  # the grandparent is never "not yet met"
        assert "🔎 Việc học tập của các thành viên có tác dụng tốt" in text
        assert "448/QĐ-KHVN" in text and "2021–2030 có thể chặt chẽ hơn" in text

        store = second.services.store.read
        user = await store.users.by_key("console:fam")
        assert user is not None
        declaration = await store.declarations.for_user(user.id, 2026)
        assert declaration is not None and declaration.status == "submitted" and declaration.version == 1
        assert declaration.head_name == "Nguyễn Văn An" and declaration.area_id == "lien_bao.tdp1"
        assert [m["y"] for m in declaration.data["m"]] == [1975, 1978, 2011, 2019, 1948]
        assert declaration.data["m"][0] == {
            "r": "head",
            "y": 1975,
            "l": "none",
            "lit": True,
            "a": ["course", "reading"],
        }
        assert "p" not in declaration.data  # no phone unless offered
        assert await store.events.count("declaration.submitted") == 1
        assert [h.action for h in await store.declarations.history(declaration.id)] == ["submitted"]
        assert (await store.conversations.load(user.id)).flow is None
        audit = await store.audit.recent(5)
        assert any(a.action == "declaration.submitted" and a.actor == "console:fam" for a in audit)


async def test_the_draft_stays_small(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    text = await declare_small(chat, note="Cả nhà cùng đọc sách mỗi tối", send=False)
    assert SUMMARY in text
    user = await app.services.store.read.users.by_key("console:fam")
    assert user is not None
    state = await app.services.store.read.conversations.load(user.id)
    assert state.flow == "declare" and state.step == "summary"
    # The draft is saved after every answer: short keys, no labels, no copies.
    assert len(json.dumps(state.draft, ensure_ascii=False)) < 300
    assert set(state.draft) <= {"yr", "h", "a", "m", "c", "e", "n", "p", "ret"}


async def test_nothing_is_stored_before_consent(app: Runtime, chat: Transcript) -> None:
    text = await chat.send("/khaibao")
    assert "Bạn có đồng ý không?" in text
    assert await app.services.store.read.users.by_key("console:fam") is None
    text = await chat.press("decl:edit")
    assert await app.services.store.read.users.by_key("console:fam") is None


async def test_cancel_discards_the_draft(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send("/khaibao")
    await chat.send("Lê Văn Cường")
    text = await chat.send("/huy")
    assert "Đã hủy" in text
    text = await chat.send("/xemkhaibao")
    assert "Gia đình chưa khai báo cho năm 2026" in text
    text = await chat.send("/khaibao")
    assert HEAD_QUESTION in text and "Hiện ghi" not in text


async def test_help_in_the_middle_keeps_the_step(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await chat.send("/khaibao")
    await chat.send("Lê Văn Cường")
    await chat.send("1")
    text = await chat.send("/help")
    assert "/khaibao" in text and "Chủ hộ Lê Văn Cường sinh năm nào?" in text
    text = await chat.send("/khuvuc")  # another form cannot start on top of this one
    assert "Bạn đang làm dở: khai báo học tập của gia đình" in text
    assert "sinh năm nào" in text


async def test_one_declaration_per_household_and_year_then_amend_with_history(
    app: Runtime, chat: Transcript, clock: ManualClock
) -> None:
    await chat.onboard()
    text = await declare_small(chat)
    assert "đã được gửi" in text
    store = app.services.store.read
    user = await store.users.by_key("console:fam")
    assert user is not None

    # /khaibao again changes the same declaration instead of starting a second one.
    text = await chat.send("/khaibao")
    assert "Gia đình đã gửi bản khai báo năm 2026 (đang chờ cán bộ khuyến học xem xét)" in text
    assert SUMMARY in text and "Trần Thị Bình" in text
    await chat.send("sua sinh hoat")
    text = await chat.send("3")  # not this year
    assert "Sinh hoạt học tập cộng đồng: Năm nay chưa tham gia" in text
    text = await chat.send("8")  # offer a phone number
    assert "Không bắt buộc" in text
    text = await chat.send("12345")
    assert "chưa đúng là số điện thoại" in text
    text = await chat.send("+84 912 345 678")
    assert "Số điện thoại liên hệ: 0912345678" in text
    text = await chat.send("gui")
    assert "Phần sửa đã được gửi (lần 2)" in text

    declarations = await store.declarations.all_for_user(user.id)
    assert len(declarations) == 1 and declarations[0].version == 2
    assert declarations[0].data["e"] == "never" and declarations[0].data["p"] == "0912345678"
    history = await store.declarations.history(declarations[0].id)
    assert [(h.action, h.version) for h in history] == [("submitted", 1), ("amended", 2)]
    assert history[0].data is not None and history[0].data["e"] == "often"  # the old version is kept
    assert await store.events.count("declaration.submitted") == 1  # counted once per household and year

    text = await chat.send("/xemkhaibao")
    assert "Tình trạng: đang chờ cán bộ khuyến học xem xét (lần 2" in text
    assert "đã gửi (lần 1)" in text and "đã sửa (lần 2)" in text and PROVISIONAL in text

    # The storage refuses a second declaration for the same household and year…
    again = await service.submit(app.services, user, {"yr": 2026, **declarations[0].data}, load_criteria())
    assert again.problem == "exists" and again.declaration is None
    # …but a new campaign year is a new declaration.
    clock.advance(timedelta(days=60))
    text = await chat.send("/xemkhaibao")
    assert "Gia đình chưa khai báo cho năm 2027" not in text  # the 2026 one is still shown
    text = await declare_small(chat, head="Trần Thị Bình")
    assert "Bản khai báo năm 2027 của gia đình đã được gửi" in text
    years = [d.year for d in await store.declarations.all_for_user(user.id)]
    assert years == [2027, 2026]
    text = await chat.send("/xemkhaibao")
    assert "năm 2027" in text and "Các năm trước" in text and "Năm 2026: đang chờ" in text


async def test_english_speakers_get_the_form_in_english(app: Runtime) -> None:
    chat = Transcript(app.router, "eng", language="en")
    await chat.send("/start")
    await chat.send("1")
    await chat.send("1")
    await chat.send("1")
    await chat.send("1")
    text = await chat.send("/khaibao")
    assert "What is the full name of the head of your household?" in text
    await chat.send("Mary Smith")
    text = await chat.send("yes")
    assert "In which year was the head of household, Mary Smith, born?" in text
