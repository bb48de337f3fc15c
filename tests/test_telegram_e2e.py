"""End to end on Telegram: the real bot (PTB, polling) against the fake Bot API on 127.0.0.1.

Each test acts as a person (pushing updates the bot fetches with getUpdates) and waits for the
messages the bot sends; the fixture fails the test if any request broke the Bot API spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import accounts
from bot.i18n import LANGUAGES
from tests.fakes.telegram_api import FakeChat, FakeTelegram

if TYPE_CHECKING:  # imported by pytest as a plugin; importing it here first would skip its rewrite
    from storage.users import User
    from tests.fakes.fixtures import TelegramBot

pytest_plugins = ("tests.fakes.fixtures",)

CONSENT = "Bạn có đồng ý không?"
WARD_QUESTION = "Bạn ở phường/xã nào?"
VILLAGE_QUESTION = "bạn ở thôn/tổ dân phố nào?"
CONFIRM_QUESTION = "Đúng không?"
DONE = "Xong rồi!"
NOT_FOUND_HINT = "Tôi không tìm thấy lựa chọn đó"
OFFICERS_ONLY = "chỉ dành cho cán bộ khuyến học hoặc quản trị viên"


async def stored_user(bot: TelegramBot, chat: FakeChat) -> User | None:
    return await bot.app.services.store.read.users.by_key(f"telegram:{chat.user.id}")


async def onboard_typing(chat: FakeChat) -> None:
    await chat.send("/start", expect=CONSENT)
    await chat.send("1", expect=WARD_QUESTION)
    await chat.send("1", expect=VILLAGE_QUESTION)
    await chat.send("1", expect=CONFIRM_QUESTION)
    await chat.send("1", expect=DONE)


async def test_family_onboards_with_buttons(telegram_api: FakeTelegram, telegram_bot: TelegramBot) -> None:
    ann = telegram_api.chat(telegram_api.new_user("An", "Nguyễn Văn"))

    consent = await ann.start(expect=CONSENT)
    assert consent.labels == ["Tôi đồng ý", "Tôi không đồng ý", "English"]
    assert await stored_user(telegram_bot, ann) is None  # nothing stored before consent

    wards = await ann.tap("Tôi đồng ý", expect=WARD_QUESTION)
    assert wards.labels[:3] == ["Phường Liên Bảo", "Phường Tích Sơn", "Phường Hội Hợp"]
    villages = await ann.tap("Phường Liên Bảo", expect="Phường Liên Bảo: " + VILLAGE_QUESTION)
    assert "Tổ dân phố 2" in villages.labels and "Quay lại" in villages.labels
    confirm = await ann.tap("Tổ dân phố 2", expect=CONFIRM_QUESTION)
    assert "Tổ dân phố 2, Phường Liên Bảo" in confirm.plain
    assert "<b>Tổ dân phố 2, Phường Liên Bảo," in confirm.text  # sent as Telegram HTML
    await ann.tap("Đúng rồi", expect=DONE)

    user = await stored_user(telegram_bot, ann)
    assert user is not None and user.area_id == "lien_bao.tdp2"
    assert user.display_name == "An Nguyễn Văn" and user.chat_id == ann.chat_id
    # Every button press is answered, so the person's app stops showing a spinner.
    await telegram_api.wait_until(lambda: not telegram_api.unanswered_callbacks, what="answered callbacks")
    sent = [c for c in telegram_api.calls if c.method == "sendMessage"]
    assert sent and all(c.params.get("parse_mode") == "HTML" and c.ok for c in sent)
    assert telegram_api.violations == []


async def test_family_onboards_typing_numbers_and_unaccented_names(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    binh = telegram_api.chat(telegram_api.new_user("Bình", "Trần Thị"))
    await binh.send("/start", expect=CONSENT)
    await binh.send("dong y", expect=WARD_QUESTION)
    await binh.send("2", expect="Phường Tích Sơn: " + VILLAGE_QUESTION)
    await binh.send("vinh thinh", expect="Tổ dân phố Vĩnh Thịnh, Phường Tích Sơn")
    await binh.send("dung", expect=DONE)
    user = await stored_user(telegram_bot, binh)
    assert user is not None and user.area_id == "tich_son.tdp_vinh_thinh"

    cuong = telegram_api.chat(telegram_api.new_user("Cường", "Lê Văn"))
    await cuong.send("/start", expect=CONSENT)
    await cuong.send("Đồng ý", expect=WARD_QUESTION)
    await cuong.send("hoi hop", expect="Phường Hội Hợp: " + VILLAGE_QUESTION)
    await cuong.send("3", expect=CONFIRM_QUESTION)
    await cuong.send("co", expect=DONE)
    user = await stored_user(telegram_bot, cuong)
    assert user is not None and user.area_id is not None and user.area_id.startswith("hoi_hop.")


async def test_restart_mid_flow_resumes_where_the_person_was(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    dung = telegram_api.chat(telegram_api.new_user("Dũng", "Phạm"))
    await dung.start(expect=CONSENT)
    await dung.tap("Tôi đồng ý", expect=WARD_QUESTION)
    await dung.tap("Phường Tích Sơn", expect=VILLAGE_QUESTION)

    await telegram_bot.restart()
    # The button on the message sent before the restart still works.
    await dung.tap("Tổ dân phố Tích Sơn", expect=CONFIRM_QUESTION)

    # A message typed while the bot is down waits at Telegram and is answered after the start.
    await telegram_bot.stop()
    mark = telegram_api.mark()
    telegram_api.push_text(dung.user, "dung")
    await telegram_bot.start()
    await telegram_api.wait_for_message(dung.chat_id, contains=DONE, after=mark)

    user = await stored_user(telegram_bot, dung)
    assert user is not None and user.area_id == "tich_son.tdp_tich_son"
    assert telegram_bot.starts == 3
    # Confirmed updates are not fetched again after a restart: each question was asked once.
    texts = telegram_api.texts(dung.chat_id)
    assert sum(CONSENT in t for t in texts) == 1
    assert sum(CONFIRM_QUESTION in t for t in texts) == 1
    assert sum(DONE in t for t in texts) == 1


async def test_family_cannot_run_officer_commands_or_forge_buttons(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    em = telegram_api.chat(telegram_api.new_user("Em", "Hoàng"))
    await onboard_typing(em)

    await em.send("/nguoidung", expect=OFFICERS_ONLY)
    await em.send("/moi lien_bao", expect=OFFICERS_ONLY)
    # A modified app can send any callback data: roles are checked on the server side.
    await em.press("invite:lien_bao", expect=OFFICERS_ONLY)
    await em.press("cmd:nguoidung", expect=OFFICERS_ONLY)
    assert not any("Người đã tham gia chatbot" in t for t in telegram_api.texts(em.chat_id))


async def test_bad_input_at_each_step_is_reasked_with_a_hint(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    giang = telegram_api.chat(telegram_api.new_user("Giang", "Đỗ"))
    await giang.send("/start", expect=CONSENT)

    # Consent: anything else shows the notice again, and still nothing is stored.
    mark = telegram_api.mark()
    again = await giang.send("xin chào", expect=CONSENT)
    assert again.labels[0] == "Tôi đồng ý"
    assert await stored_user(telegram_bot, giang) is None
    await giang.send("dong y", expect=WARD_QUESTION)

    # Ward: a number out of range, then an unknown name.
    for bad, hint in (("99", "Danh sách không có số 99"), ("ha noi", NOT_FOUND_HINT)):
        mark = telegram_api.mark()
        question = await giang.send(bad, expect=WARD_QUESTION)
        replies = [m.plain for m in telegram_api.messages_since(giang.chat_id, mark)]
        assert any(hint in r for r in replies), giang.transcript
        assert question.labels[:3] == ["Phường Liên Bảo", "Phường Tích Sơn", "Phường Hội Hợp"]

    # A photo or a sticker cannot be read: say so and ask the same step again.
    for send in (giang.send_photo, giang.send_sticker):
        mark = telegram_api.mark()
        question = await send(expect=WARD_QUESTION)
        replies = [m.plain for m in telegram_api.messages_since(giang.chat_id, mark)]
        assert any("chỉ đọc được tin nhắn chữ" in r for r in replies), giang.transcript
        assert question.buttons

    await giang.send("1", expect=VILLAGE_QUESTION)
    mark = telegram_api.mark()
    question = await giang.send("sao hoa", expect=VILLAGE_QUESTION)
    replies = [m.plain for m in telegram_api.messages_since(giang.chat_id, mark)]
    assert any(NOT_FOUND_HINT in r for r in replies), giang.transcript
    assert "Tổ dân phố 1" in question.labels

    await giang.send("1", expect=CONFIRM_QUESTION)
    mark = telegram_api.mark()
    question = await giang.send("có lẽ", expect=CONFIRM_QUESTION)
    replies = [m.plain for m in telegram_api.messages_since(giang.chat_id, mark)]
    assert any("“có” hoặc “không”" in r for r in replies), giang.transcript
    assert question.labels == ["Đúng rồi", "Không, chọn lại"]

    await giang.tap("Đúng rồi", expect=DONE)
    user = await stored_user(telegram_bot, giang)
    assert user is not None and user.area_id == "lien_bao.tdp1"


async def test_start_with_an_invite_makes_a_new_user_an_officer(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    services = telegram_bot.app.services
    invite = await accounts.create_invite(services, "officer", "tich_son", by="test")
    # The deep link the bot hands out is built from the username getMe returned.
    link = services.invite_link("telegram", invite.code)
    assert link == f"https://t.me/khuyenhoc_test_bot?start={invite.code}"

    hoa = telegram_api.chat(telegram_api.new_user("Hoa", "Vũ Thị"))
    consent = await hoa.start(invite.code, expect=CONSENT)
    assert all(len(p.encode()) <= 64 for p in consent.payloads)
    mark = telegram_api.mark()
    # The officer's home area is the invite's area, so the bot goes straight to what they can do.
    help_text = await hoa.tap("Tôi đồng ý", expect="Bạn là cán bộ khuyến học phụ trách: Phường Tích Sơn")
    assert "/nguoidung" in help_text.plain
    replies = [m.plain for m in telegram_api.messages_since(hoa.chat_id, mark)]
    assert any("Bạn đã trở thành cán bộ khuyến học phụ trách: Phường Tích Sơn" in r for r in replies)

    user = await stored_user(telegram_bot, hoa)
    assert user is not None
    assert [(r.role, r.area_id) for r in user.roles] == [("officer", "tich_son")]
    people = await hoa.send("/nguoidung", expect="Người đã tham gia chatbot")
    assert "Phường Tích Sơn" in people.plain

    # The invite is spent: someone else using the same link stays a family member.
    khanh = telegram_api.chat(telegram_api.new_user("Khánh", "Bùi"))
    await khanh.start(invite.code, expect=CONSENT)
    mark = telegram_api.mark()
    await khanh.tap("Tôi đồng ý", expect=WARD_QUESTION)
    replies = [m.plain for m in telegram_api.messages_since(khanh.chat_id, mark)]
    assert any("Lời mời này đã được dùng" in r for r in replies), khanh.transcript
    user = await stored_user(telegram_bot, khanh)
    assert user is not None and not user.roles


async def test_command_menus_are_set_for_vietnamese_and_english(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    menus = telegram_api.commands
    assert set(menus) == {("default", "")} | {("default", lang) for lang in LANGUAGES if lang != "vi"}
    vi, en = menus[("default", "")], menus[("default", "en")]
    assert [c["command"] for c in vi] == [c["command"] for c in en]
    names = [c["command"] for c in vi]
    assert names[0] == "khaibao" and "khuvuc" in names and "nguoidung" not in names  # families' menu
    assert "start" in names
    vi_help = next(c["description"] for c in vi if c["command"] == "trogiup")
    en_help = next(c["description"] for c in en if c["command"] == "trogiup")
    assert en_help == "what I can do" and vi_help != en_help
    calls = [c for c in telegram_api.calls if c.method == "setMyCommands"]
    assert [c.params.get("language_code") for c in calls] == [None, "en"]


async def test_an_officer_gets_a_command_menu_of_their_own(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    app = telegram_bot.app
    app.services.menus.connect(telegram_bot.channel)  # as the bot's background does when it runs
    hoa = telegram_api.chat(telegram_api.new_user("Hoa", "Lê Thị"))
    await hoa.onboard()
    assert not any(kind.startswith("chat:") for kind, _lang in telegram_api.commands)  # a family
    await accounts.grant_role(app.services, f"telegram:{hoa.user.id}", "officer", "lien_bao", by="test")
    await hoa.send("/trogiup", expect="Việc của cán bộ khuyến học")
    key = (f"chat:{hoa.chat_id}", "")
    await telegram_api.wait_until(lambda: key in telegram_api.commands, what="the officer's menu")
    names = [c["command"] for c in telegram_api.commands[key]]
    assert names[:4] == ["duyet", "thongbao", "dsthongbao", "guilai"] and "khaibao" in names
    assert "duyet" not in [c["command"] for c in telegram_api.commands[("default", "")]]

    await accounts.revoke_role(app.services, f"telegram:{hoa.user.id}", "officer", by="test")
    await hoa.send("/trogiup", expect="Tôi có thể giúp bạn")
    await telegram_api.wait_until(lambda: key not in telegram_api.commands, what="the menu removed")


async def test_english_speaker_group_chats_and_stickers(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    user = telegram_api.new_user("Lan", "Ngô", language_code="en")
    lan = telegram_api.chat(user)
    # A message in a group is ignored: the bot serves private chats only.
    telegram_api.push_group_text(user, "/start", group_id=-100777)
    consent = await lan.start(expect="Do you agree?")
    assert consent.labels == ["I agree", "I do not agree", "Tiếng Việt"]
    await lan.send_sticker(expect="I can only read text messages")
    await lan.tap("I agree", expect="Which ward or commune do you live in?")
    assert telegram_api.conversation(-100777) == []
    assert telegram_api.deliveries["-100777"] == 0
