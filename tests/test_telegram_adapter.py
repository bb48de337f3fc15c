"""The Telegram adapter, table-driven: update JSON in → ``Incoming`` out; ``Reply`` in → Bot API calls out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from telegram import InlineKeyboardMarkup, Update

from bot.channels.telegram import CAPABILITIES, PENDING_PHOTO, keyboard, to_incoming
from bot.model import Attachment, Button, Incoming, Reply
from tests.fakes.telegram_api import FakeTelegram

if TYPE_CHECKING:  # imported by pytest as a plugin
    from tests.fakes.fixtures import TelegramBot

pytest_plugins = ("tests.fakes.fixtures",)

AN = {"id": 111, "is_bot": False, "first_name": "An", "last_name": "Nguyễn", "language_code": "vi"}
PRIVATE = {"id": 111, "type": "private", "first_name": "An", "last_name": "Nguyễn"}
BOT = {"id": 123456, "is_bot": True, "first_name": "Khuyến học", "username": "khuyenhoc_test_bot"}


def message(**fields: Any) -> dict[str, Any]:
    return {"message_id": 7, "date": 1795500000, "from": AN, "chat": PRIVATE, **fields}


PHOTO = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90, "file_size": 900}]
STICKER = {
    "file_id": "s1",
    "file_unique_id": "us1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "emoji": "👍",
}
VOICE = {"file_id": "v1", "file_unique_id": "uv1", "duration": 3, "mime_type": "audio/ogg"}


def incoming(**fields: Any) -> Incoming:
    common: dict[str, Any] = {
        "channel": "telegram",
        "user_id": "111",
        "chat_id": "111",
        "display_name": "An Nguyễn",
        "language": "vi",
    }
    return Incoming(**{**common, **fields})


UPDATES: list[tuple[str, dict[str, Any], Incoming | None]] = [
    ("text", {"message": message(text="xin chào")}, incoming(text="xin chào")),
    (
        "start with a deep-link argument",
        {
            "message": message(
                text="/start AbC_12-x", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
            )
        },
        incoming(text="/start AbC_12-x"),
    ),
    (
        "button press",
        {
            "callback_query": {
                "id": "4242",
                "from": AN,
                "chat_instance": "-99",
                "data": "pick:lien_bao",
                "message": message(text="Bạn ở phường/xã nào?") | {"from": BOT},
            }
        },
        incoming(payload="pick:lien_bao"),
    ),
    # A picture: its caption is the text; the channel downloads the picture itself afterwards.
    (
        "photo",
        {"message": message(photo=PHOTO, caption="giấy khen")},
        incoming(text="giấy khen", photo=PENDING_PHOTO),
    ),
    ("sticker", {"message": message(sticker=STICKER)}, incoming(unsupported=True)),
    ("voice", {"message": message(voice=VOICE)}, incoming(unsupported=True)),
    (
        "no language hint",
        {"message": message(text="hi", **{"from": {"id": 111, "is_bot": False, "first_name": "An"}})},
        incoming(text="hi", display_name="An", language=None),
    ),
    (
        "group chat ignored",
        {"message": message(text="/start", chat={"id": -100555, "type": "supergroup", "title": "Chi hội"})},
        None,
    ),
    ("bot sender ignored", {"message": message(text="hello", **{"from": BOT})}, None),
    ("edited message ignored", {"edited_message": message(text="sửa", edit_date=1795500100)}, None),
    (
        "channel post ignored",
        {"channel_post": message(text="tin", chat={"id": -100777, "type": "channel", "title": "Kênh"})},
        None,
    ),
    (
        "inline-message button ignored (no chat)",
        {
            "callback_query": {
                "id": "1",
                "from": AN,
                "chat_instance": "-1",
                "inline_message_id": "im",
                "data": "x",
            }
        },
        None,
    ),
    (
        "blocked the bot (my_chat_member) ignored",
        {
            "my_chat_member": {
                "chat": PRIVATE,
                "from": AN,
                "date": 1795500000,
                "old_chat_member": {"status": "member", "user": BOT},
                "new_chat_member": {"status": "kicked", "user": BOT, "until_date": 0},
            }
        },
        None,
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), UPDATES, ids=[u[0] for u in UPDATES])
def test_to_incoming(name: str, data: dict[str, Any], expected: Incoming | None) -> None:
    update = Update.de_json({"update_id": 1, **data}, None)
    assert to_incoming(update) == expected


def test_keyboard_keeps_rows_labels_and_payloads() -> None:
    reply = Reply.make(
        "Bạn ở phường/xã nào?",
        [
            [Button("Phường Liên Bảo", "pick:lien_bao"), Button("Phường Tích Sơn", "pick:tich_son")],
            [Button("Quay lại", "pick:+back")],
        ],
    )
    markup = keyboard(reply)
    assert isinstance(markup, InlineKeyboardMarkup)
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [
        [("Phường Liên Bảo", "pick:lien_bao"), ("Phường Tích Sơn", "pick:tich_son")],
        [("Quay lại", "pick:+back")],
    ]
    assert keyboard(Reply("no buttons")) is None


LONG_LINE = "Hội Khuyến học " * 20  # 300 characters
BUTTONS = [Button("Đúng rồi", "confirm:yes"), Button("Không", "confirm:no")]
PNG = Attachment("chart.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
XLSX = Attachment("report.xlsx", b"PK\x03\x04" + b"0" * 64, "application/vnd.ms-excel")

# (name, reply, expected requests as (method, visible text length or None, has keyboard))
RENDERINGS: list[tuple[str, Reply, list[tuple[str, int | None, bool]]]] = [
    ("short text", Reply("Xin <b>chào</b> &amp; chúc mừng"), [("sendMessage", 20, False)]),
    ("text with buttons", Reply.make("Đúng không?", BUTTONS), [("sendMessage", 11, True)]),
    (
        "long text split at line breaks, buttons on the last part",
        Reply.make("\n".join([LONG_LINE.strip()] * 30), BUTTONS),
        [("sendMessage", None, False), ("sendMessage", None, False), ("sendMessage", None, True)],
    ),
    ("photo with a caption", Reply.make("Biểu đồ tuần", BUTTONS, photo=PNG), [("sendPhoto", 12, True)]),
    (
        "photo with a text too long for a caption",
        Reply.make("\n".join([LONG_LINE.strip()] * 5), photo=PNG),
        [("sendPhoto", None, False), ("sendMessage", None, False)],
    ),
    (
        "document then text",
        Reply("Báo cáo tuần", document=XLSX),
        [("sendDocument", None, False), ("sendMessage", 12, False)],
    ),
]


@pytest.mark.parametrize(("name", "reply", "expected"), RENDERINGS, ids=[r[0] for r in RENDERINGS])
async def test_reply_rendering(
    name: str,
    reply: Reply,
    expected: list[tuple[str, int | None, bool]],
    telegram_api: FakeTelegram,
    telegram_bot: TelegramBot,
) -> None:
    mark = telegram_api.mark()
    await telegram_bot.channel.send("111", reply)
    calls = [c for c in telegram_api.calls[mark:] if c.method != "getUpdates"]
    assert all(c.ok and c.message is not None for c in calls), [c.description for c in calls]
    got = [
        (c.method, len(c.message.plain) if c.message else 0, bool(c.message and c.message.buttons))
        for c in calls
    ]
    # Lengths are compared only where the table gives one.
    got = [(m, n if e[1] is not None else None, k) for (m, n, k), e in zip(got, expected, strict=False)]
    assert got == expected
    sent = [c.message for c in calls if c.message is not None and c.method == "sendMessage"]
    assert all(len(m.plain) <= CAPABILITIES.max_text for m in sent)
    if len(sent) > 1:  # nothing lost in the split
        assert " ".join(m.plain for m in sent).split() == reply.text.split()
    uploads = [c.files for c in calls if c.files]
    for files in uploads:
        for upload in files.values():
            assert upload.data in (PNG.data, XLSX.data) and upload.filename in (PNG.filename, XLSX.filename)
    assert telegram_api.deliveries["111"] == len(expected)


# Regressions: each of these was a bug in TelegramChannel.send.
async def test_long_html_is_split_into_parts_telegram_accepts(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    words = "Khuyến học " * 500
    mark = telegram_api.mark()
    await telegram_bot.channel.send("111", Reply(f"<b>{words}</b>"))  # one bold run over two messages
    parts = telegram_api.messages_since("111", mark)
    assert len(parts) == 2  # each valid HTML on its own: the fixture checks every request
    assert all(p.text.startswith("<b>") and p.text.endswith("</b>") for p in parts)
    assert " ".join(p.plain for p in parts).split() == words.split()


async def test_photo_and_document_in_one_reply_are_both_sent(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    mark = telegram_api.mark()
    await telegram_bot.channel.send("111", Reply("Báo cáo tuần", photo=PNG, document=XLSX))
    methods = [c.method for c in telegram_api.calls[mark:] if c.method != "getUpdates"]
    assert methods == ["sendPhoto", "sendDocument"]


async def test_photo_without_text_keeps_its_buttons(
    telegram_api: FakeTelegram, telegram_bot: TelegramBot
) -> None:
    mark = telegram_api.mark()
    await telegram_bot.channel.send("111", Reply.make("", BUTTONS, photo=PNG))
    photos = [c.message for c in telegram_api.calls[mark:] if c.method == "sendPhoto"]
    assert photos and photos[0] is not None and photos[0].payloads == ["confirm:yes", "confirm:no"]
