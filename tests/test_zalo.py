"""The Zalo channel against a fake Zalo Bot API: event shapes, sending, errors, photos."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.bootstrap import Runtime
from bot.channels.webhook import PublicFiles, WebhookServer
from bot.channels.zalo import ZaloApi, ZaloApiError, ZaloChannel, events_in, to_incoming
from bot.config import Settings
from bot.delivery.errors import PermanentFailure, RetryAfter, TemporaryFailure, Unreachable
from bot.model import Attachment, Button, Reply
from tests.fakes.zalo_api import FakeZaloApi, wait_until

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    server = await FakeZaloApi().start()
    yield server
    await server.stop()


def zalo_settings(settings: Settings, fake: FakeZaloApi, **changes: Any) -> Settings:
    return dataclasses.replace(
        settings, zalo_token=fake.token, zalo_base_url=fake.base_url, zalo_poll_timeout=2, **changes
    )


@pytest.fixture
async def zalo(app: Runtime, settings: Settings, fake: FakeZaloApi) -> AsyncIterator[ZaloChannel]:
    channel = ZaloChannel(zalo_settings(settings, fake), app.router)
    yield channel
    await channel.stop()


async def wait_processed(channel: ZaloChannel, count: int) -> None:
    await wait_until(lambda: channel.processed >= count)


# -- event shapes → Incoming (table) -----------------------------------------------------------
@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (FakeZaloApi.event("u1", text="Xin chào"), {"text": "Xin chào", "unsupported": False}),
        (
            FakeZaloApi.event("u1", "message.image.received", photo_url="https://x/p.jpg"),
            {"unsupported": True},
        ),
        (FakeZaloApi.event("u1", "message.sticker.received", sticker="abc"), {"unsupported": True}),
        (FakeZaloApi.event("u1", "message.voice.received"), {"unsupported": True}),
        (FakeZaloApi.event("u1", "message.unsupported.received"), {"unsupported": True}),
    ],
)
def test_events_become_incoming(event: dict[str, Any], expected: dict[str, Any]) -> None:
    incoming = to_incoming(event)
    assert incoming is not None
    assert incoming.channel == "zalo" and incoming.user_id == "u1" and incoming.chat_id == "u1"
    assert incoming.key == "zalo:u1"
    assert incoming.display_name == "Trần Thị Bình"
    for name, value in expected.items():
        assert getattr(incoming, name) == value


@pytest.mark.parametrize(
    "event",
    [
        {"event_name": "message.unsupported.received"},  # a protected account: nobody to answer
        FakeZaloApi.event("u1", text="hi", chat_type="GROUP"),
        {
            "event_name": "message.text.received",
            "message": {"from": {"id": "b", "is_bot": True}, "text": "x"},
        },
        FakeZaloApi.event("u1", text="   "),
    ],
)
def test_events_without_anyone_to_answer_are_ignored(event: dict[str, Any]) -> None:
    assert to_incoming(event) is None


def test_numeric_ids_become_strings() -> None:
    event = FakeZaloApi.event("x", text="hi")
    event["message"]["from"]["id"] = 123
    event["message"]["chat"]["id"] = 123
    incoming = to_incoming(event)
    assert incoming is not None and incoming.user_id == "123" and incoming.chat_id == "123"


def test_events_bare_wrapped_or_listed() -> None:
    event = FakeZaloApi.event("u1", text="a")
    assert events_in(event) == [event]
    assert events_in({"ok": True, "result": event}) == [event]
    assert events_in({"ok": True, "result": [event, event]}) == [event, event]
    assert events_in({"ok": False, "error_code": 408}) == []
    assert events_in(None) == [] and events_in("junk") == []


# -- the client ----------------------------------------------------------------------------------
async def test_client_reads_ok_false_even_with_http_200(fake: FakeZaloApi) -> None:
    api = ZaloApi(fake.token, fake.base_url)
    try:
        fake.inject("sendMessage", 403, http_status=200)
        with pytest.raises(ZaloApiError) as error:
            await api.call("sendMessage", {"chat_id": "u1", "text": "x"})
        assert error.value.error_code == 403
        bad = ZaloApi("wrong-token-123", fake.base_url)
        with pytest.raises(ZaloApiError) as error:
            await bad.call("getMe")
        assert error.value.error_code == 401 and "wrong-token" not in str(error.value)
        await bad.close()
    finally:
        await api.close()


# -- polling and conversations -------------------------------------------------------------------
async def test_polling_survives_empty_polls_and_answers_in_numbered_text(
    zalo: ZaloChannel, fake: FakeZaloApi
) -> None:
    await zalo.start()
    assert [m for m, _ in fake.calls[:2]] == ["getMe", "deleteWebhook"]
    # With nothing to read the poll ends in error 408 at least once before the person writes.
    await wait_until(lambda: any(m == "getUpdates" for m, _ in fake.calls))
    await fake.user_sends("u1", "/start")
    await wait_processed(zalo, 1)
    text = "\n".join(fake.texts_to("u1"))
    assert "Bạn có đồng ý không?" in text
    assert "1. Tôi đồng ý" in text  # buttons become a numbered list
    assert "<b>" not in text  # no markup on Zalo
    await fake.user_sends("u1", "1")
    await wait_processed(zalo, 2)
    assert "phường/xã nào" in fake.texts_to("u1")[-1]
    assert all(isinstance(body.get("timeout"), int) for m, body in fake.calls if m == "getUpdates")


async def test_unsupported_content_gets_a_polite_answer(zalo: ZaloChannel, fake: FakeZaloApi) -> None:
    await zalo.start()
    await fake.push(FakeZaloApi.event("u2", "message.sticker.received", sticker="abc"))
    await fake.push({"event_name": "message.unsupported.received"})  # no message: nobody to answer
    await fake.push(FakeZaloApi.event("u2", "message.unsupported.received"))
    await wait_processed(zalo, 3)
    texts = fake.texts_to("u2")
    assert len(texts) == 2 and all("chỉ đọc được tin nhắn chữ" in t for t in texts)


async def test_long_text_is_split_at_2000_characters_on_line_boundaries(
    zalo: ZaloChannel, fake: FakeZaloApi
) -> None:
    lines = [f"Dòng {i}: " + "học tập suốt đời " * 5 for i in range(60)]
    await zalo.send("u1", Reply("\n".join(lines), buttons=((Button("Đồng ý", "x:1"),),)))
    texts = fake.texts_to("u1")
    assert len(texts) >= 3 and all(len(t) <= 2000 for t in texts)
    assert all(t.startswith("Dòng") for t in texts)  # cut between lines, not inside them
    assert texts[-1].endswith("1. Đồng ý")
    assert "\n".join(texts).count("Dòng ") == 60


# -- delivery errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "http_status", "expected"),
    [
        (429, 429, RetryAfter),
        (429, 200, RetryAfter),
        (403, 403, Unreachable),
        (403, 200, Unreachable),
        (500, 500, TemporaryFailure),
        (502, 502, TemporaryFailure),
        (400, 200, PermanentFailure),
        (400, 400, PermanentFailure),
    ],
)
async def test_deliver_maps_zalo_errors(
    app: Runtime,
    settings: Settings,
    fake: FakeZaloApi,
    code: int,
    http_status: int,
    expected: type[Exception],
) -> None:
    channel = ZaloChannel(zalo_settings(settings, fake, zalo_retry_after=42.0), app.router)
    try:
        fake.inject("sendMessage", code, http_status=http_status)
        with pytest.raises(expected) as error:
            await channel.deliver("u1", Reply("Nhắc lịch tập huấn"))
        if isinstance(error.value, RetryAfter):
            assert error.value.seconds == 42.0
        await channel.deliver("u1", Reply("Nhắc lịch tập huấn"))  # the next try goes through
        assert fake.texts_to("u1") == ["Nhắc lịch tập huấn"]
    finally:
        await channel.stop()


async def test_deliver_without_a_server_is_a_temporary_failure(app: Runtime, settings: Settings) -> None:
    unreachable = dataclasses.replace(
        settings, zalo_token="1234:abcdefgh", zalo_base_url="http://127.0.0.1:9/bot"
    )
    channel = ZaloChannel(unreachable, app.router)
    try:
        with pytest.raises(TemporaryFailure):
            await channel.deliver("u1", Reply("x"))
    finally:
        await channel.stop()


# -- photos ----------------------------------------------------------------------------------------
async def test_photo_without_public_url_sends_the_caption_with_a_note(
    zalo: ZaloChannel, fake: FakeZaloApi
) -> None:
    await zalo.send("u1", Reply("Biểu đồ tuần", photo=Attachment("chart.png", PNG, "image/png")))
    (text,) = fake.texts_to("u1")
    assert text.startswith("Biểu đồ tuần") and "Zalo không hiển thị được" in text
    assert not [s for s in fake.sent if s.method == "sendPhoto"]


async def test_photo_is_published_at_an_unguessable_url_when_configured(
    app: Runtime, settings: Settings, fake: FakeZaloApi, tmp_path: Any
) -> None:
    server = WebhookServer("127.0.0.1", 0)
    await server.start()
    files = PublicFiles(tmp_path / "public", f"http://127.0.0.1:{server.port}")
    server.files = files
    channel = ZaloChannel(zalo_settings(settings, fake), app.router, files=files)
    try:
        photo = Attachment("chart.png", PNG, "image/png")
        await channel.send("u1", Reply("Biểu đồ tuần", photo=photo))
        await channel.send("u2", Reply("Biểu đồ tuần", photo=photo))
        first, second = [s for s in fake.sent if s.method == "sendPhoto"]
        assert first.text == "Biểu đồ tuần" and first.photo == second.photo  # stored once
        assert fake.fetched_photos[first.photo or ""] == PNG
        name = (first.photo or "").rsplit("/", 1)[1]
        assert len(name) > 40 and name.endswith(".png")
        assert files.read("x" * 43 + ".png") is None and files.read("../test.db") is None
        await channel.send("u1", Reply("Báo cáo", document=Attachment("bao_cao.xlsx", b"PK..")))
        assert "bao_cao.xlsx" in fake.texts_to("u1")[-1]
    finally:
        await channel.stop()
        await server.stop()


# -- through the delivery worker -------------------------------------------------------------------
async def test_outbox_messages_reach_zalo_and_a_blocked_person_becomes_unreachable(
    app: Runtime, zalo: ZaloChannel, fake: FakeZaloApi
) -> None:
    from bot.bootstrap import background
    from bot.delivery.notify import notify

    services = app.services
    now = services.clock.now()
    async with services.store.write() as tx:
        people = [
            await tx.users.create(
                key=f"zalo:{uid}", channel="zalo", chat_id=uid, display_name=uid, language="vi", now=now
            )
            for uid in ("z-ok", "z-blocked")
        ]
        for person in people:
            await notify(
                tx,
                person,
                "reminder:1:60",
                lambda: Reply("Nhắc lịch tập huấn", ((Button("Đi", "a:1"),),)),
                now,
            )
    fake.inject("sendMessage", 403, http_status=200)  # the first send: that person blocked the bot
    async with background(app, {"zalo": zalo}) as worker:
        await worker.run_until_idle()
    delivered = {s.chat_id: s.text for s in fake.sent}
    assert len(delivered) == 1
    ((chat_id, text),) = delivered.items()
    assert text == "Nhắc lịch tập huấn\n\n  • Đi"  # outbox messages: bullets, not numbers
    blocked = await services.store.read.users.by_key(
        f"zalo:{'z-ok' if chat_id == 'z-blocked' else 'z-blocked'}"
    )
    assert blocked is not None and not blocked.reachable
