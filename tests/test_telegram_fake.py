"""The fake Bot API server itself: spec checks, long polling, faults as PTB sees them, webhooks.

Other Telegram tests trust this server to behave like Telegram where it matters, so its own
behaviour is pinned down here (with PTB's ``Bot`` or raw HTTP as the client).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import TOKEN, FakeTelegram, Fault
from tests.fakes.telegram_spec import SAMPLE_SPEC_PATH, check_request, html_problem, load_spec, spec_path

SPEC = load_spec()
# The checker's own tests run on the reference when it is there, else on a hand-written sample.
CHECKER_SPEC = SPEC or load_spec(SAMPLE_SPEC_PATH)
CHECKER_SPEC_PATH = spec_path() if SPEC is not None else SAMPLE_SPEC_PATH


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(api: FakeTelegram) -> AsyncIterator[Bot]:
    request = HTTPXRequest(read_timeout=1.0)
    async with Bot(TOKEN, base_url=api.base_url, request=request) as client:
        yield client


async def raw(api: FakeTelegram, method: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{api.base_url}{TOKEN}/{method}", data=params)


# -- the spec checks --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "<b>đậm</b> và <i>nghiêng</i>",
        "a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#x27;s&#39;",
        '<a href="https://t.me/khuyenhoc_bot?start=abc">link</a>',
        '<span class="tg-spoiler">bí mật</span> <tg-spoiler>x</tg-spoiler>',
        '<blockquote expandable>trích</blockquote><pre><code class="language-python">x</code></pre>',
        "<B>upper case tags</B>",
    ],
)
def test_html_accepted(text: str) -> None:
    assert html_problem(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<b>unclosed", "unclosed tag <b>"),
        ("stray </b>", "unexpected end tag"),
        ("<b><i>crossed</b></i>", "unexpected end tag </b>"),
        ("<div>x</div>", "unsupported tag <div>"),
        ("<br>", "unsupported tag <br>"),
        ("1 < 2", "unescaped '<'"),
        ("Tom & Jerry", "unescaped '&'"),
        ("&nbsp;", "unsupported HTML entity"),
        ("<span>x</span>", "tg-spoiler"),
        ("<a>x</a>", "href"),
    ],
)
def test_html_refused(text: str, problem: str) -> None:
    found = html_problem(text)
    assert found is not None and problem in found


VALID_MARKUP = {"inline_keyboard": [[{"text": "Đúng", "callback_data": "confirm:yes"}]]}


@pytest.mark.parametrize(
    ("method", "params", "problem"),
    [
        ("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": VALID_MARKUP}, None),
        ("sendMessage", {"chat_id": "@channel", "text": "<b>hi</b>", "parse_mode": "HTML"}, None),
        ("sendMesage", {"chat_id": 1, "text": "hi"}, "unknown method sendMesage"),
        ("sendMessage", {"chat_id": 1, "text": "hi", "colour": "red"}, "unknown parameter colour"),
        ("sendMessage", {"text": "hi"}, "missing required parameter chat_id"),
        ("sendMessage", {"chat_id": 1, "text": ""}, "text is 0 characters"),
        ("sendMessage", {"chat_id": 1, "text": "x" * 4097}, "text is 4097 characters"),
        ("sendMessage", {"chat_id": 1, "text": "<b>" + "x" * 4096 + "</b>", "parse_mode": "HTML"}, None),
        ("sendMessage", {"chat_id": 1, "text": "<b>x", "parse_mode": "HTML"}, "can't parse entities"),
        ("sendMessage", {"chat_id": 1, "text": "hi", "disable_notification": "yes"}, "should be Boolean"),
        (
            "sendMessage",
            {
                "chat_id": 1,
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "đ" * 33}]]},
            },
            "callback_data",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "x"}]]}},
            "exactly one action",
        ),
        ("sendPhoto", {"chat_id": 1, "photo": "attach://photo", "caption": "c" * 1025}, "caption is 1025"),
        (
            "editMessageText",
            {"chat_id": 1, "message_id": "seven", "text": "x"},
            "message_id should be Integer",
        ),
        ("setMyCommands", {"commands": [{"command": "start", "description": "bắt đầu"}]}, None),
        ("setMyCommands", {"commands": [{"command": "Start", "description": "x"}]}, "a-z"),
        ("setMyCommands", {"commands": [{"command": "start", "description": ""}]}, "1-256"),
        ("setMyCommands", {"commands": [], "language_code": "vie"}, "two-letter"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 201}, "200 characters"),
        ("getUpdates", {"offset": 3, "timeout": 10, "allowed_updates": ["message"]}, None),
    ],
)
def test_check_request(method: str, params: dict[str, Any], problem: str | None) -> None:
    assert CHECKER_SPEC is not None
    problems = check_request(CHECKER_SPEC, method, params)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


async def test_invalid_requests_are_recorded_and_refused_like_telegram() -> None:
    async with FakeTelegram(spec_path=CHECKER_SPEC_PATH) as api:
        await _invalid_requests_are_recorded_and_refused(api)


async def _invalid_requests_are_recorded_and_refused(api: FakeTelegram) -> None:
    response = await raw(api, "sendMesage", chat_id="1", text="hi")
    assert response.status_code == 404
    response = await raw(api, "sendMessage", chat_id="1", text="<b>hi", parse_mode="HTML")
    assert response.status_code == 400 and "can't parse entities" in response.json()["description"]
    # Unknown optional parameters are ignored by Telegram, so only recorded here.
    response = await raw(api, "sendMessage", chat_id="1", text="hi", colour="red")
    assert response.status_code == 200
    assert [v.split(" ", 1)[1] for v in api.violations] == [
        "unknown method sendMesage",
        "sendMessage: can't parse entities in text: unclosed tag <b>",
        "sendMessage: unknown parameter colour",
    ]
    api.violations.clear()


async def test_wrong_token_is_unauthorized(api: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{api.base_url}999:WRONG/getMe")
    assert response.status_code == 401 and response.json()["description"] == "Unauthorized"


async def test_json_bodies_and_query_strings_are_read(api: FakeTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{api.base_url}{TOKEN}/sendMessage", json={"chat_id": 5, "text": "j", "reply_markup": markup}
        )
        await client.get(f"{api.base_url}{TOKEN}/sendMessage", params={"chat_id": "6", "text": "q"})
    assert [(c.params["chat_id"], c.params["text"]) for c in api.calls] == [(5, "j"), (6, "q")]
    assert api.calls[0].message is not None and api.calls[0].message.payloads == ["a"]


# -- what PTB sees ------------------------------------------------------------------------------------
async def test_ptb_parses_results_and_uploads_arrive(api: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "khuyenhoc_test_bot"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="confirm:yes")]])
    sent = await bot.send_message(42, "<b>Chào</b> bạn", parse_mode="HTML", reply_markup=markup)
    assert sent.text == "Chào bạn" and sent.chat.id == 42 and sent.reply_markup == markup
    edited = await bot.edit_message_text("Đã chọn", chat_id=42, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Đã chọn" and edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Đã chọn", chat_id=42, message_id=sent.message_id)
    photo = await bot.send_photo(42, b"\x89PNG fake", caption="biểu đồ", filename="c.png")
    assert photo.photo and photo.caption == "biểu đồ"
    document = await bot.send_document(42, b"a;b\n1;2\n", filename="bao-cao.csv")
    assert document.document is not None and document.document.file_name == "bao-cao.csv"
    assert api.calls[-1].files["document"].data == b"a;b\n1;2\n"
    assert [m.plain for m in api.conversation(42)] == ["Đã chọn", "biểu đồ", ""]
    assert api.deliveries["42"] == 3


# PTB itself warns that RetryAfter.retry_after will become a timedelta.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_faults_map_to_ptb_errors(api: FakeTelegram, bot: Bot) -> None:
    api.inject(Fault.too_many_requests(3), method="sendMessage")
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(1, "x")
    api.inject(Fault.blocked(), chat_id=2, times=None)
    for _ in range(2):
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(2, "x")
    api.inject(Fault.chat_not_found(), chat_id=3)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(3, "x")
    api.inject(Fault.server_error())
    with pytest.raises(NetworkError) as server_error:
        await bot.send_message(1, "x")
    assert not isinstance(server_error.value, BadRequest | TimedOut)
    api.inject(Fault.dropped())
    with pytest.raises(NetworkError):
        await bot.send_message(1, "lost")
    await bot.send_message(1, "ok")  # the rules above are used up; chat 2 stays blocked
    with pytest.raises(Forbidden):
        await bot.send_message(2, "x")
    assert api.deliveries == {"1": 1}
    assert [c.status for c in api.calls if c.method == "sendMessage"] == [
        429,
        403,
        403,
        400,
        500,
        0,
        200,
        403,
    ]


async def test_slow_or_dropped_answers_can_still_deliver(api: FakeTelegram, bot: Bot) -> None:
    """The duplicate risk of delivery: the client gives up although the person got the message."""
    api.inject(Fault.slow(2.0))  # the bot's read timeout is 1 s
    with pytest.raises(TimedOut):
        await bot.send_message(7, "chậm")
    api.inject(Fault.dropped(deliver=True))
    with pytest.raises(NetworkError):
        await bot.send_message(7, "mất kết nối")
    assert api.texts(7) == ["chậm", "mất kết nối"]
    api.policy = lambda call: Fault.blocked() if call.chat_id == "8" else None
    with pytest.raises(Forbidden):
        await bot.send_message(8, "x")
    await bot.send_message(9, "y")
    assert api.deliveries == {"7": 2, "9": 1}


async def test_callback_queries_are_answered_once(api: FakeTelegram, bot: Bot) -> None:
    user = api.new_user()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="confirm:yes")]])
    await bot.send_message(user.id, "Đúng không?", reply_markup=markup)
    update = api.press(user, "Có")
    query_id = update["callback_query"]["id"]
    assert update["callback_query"]["data"] == "confirm:yes" and api.unanswered_callbacks == {query_id}
    assert await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    assert api.unanswered_callbacks == set()


# -- long polling ---------------------------------------------------------------------------------------
async def test_get_updates_long_polls_and_confirms_by_offset(api: FakeTelegram) -> None:
    user = api.new_user()
    assert (await raw(api, "getUpdates", timeout="0")).json()["result"] == []

    poll = asyncio.create_task(raw(api, "getUpdates", timeout="20"))
    waiting = await api.wait_for_poll(after=1)
    assert not waiting.done  # arrived and waiting: wait_for_poll does not wait for its answer
    first = api.push_text(user, "một")
    updates = (await poll).json()["result"]
    assert [u["update_id"] for u in updates] == [first["update_id"]]
    assert updates[0]["message"]["text"] == "một" and updates[0]["message"]["chat"]["type"] == "private"

    second = api.push_text(user, "hai")
    # Not confirmed yet: fetched again.
    again = (await raw(api, "getUpdates")).json()["result"]
    assert [u["update_id"] for u in again] == [first["update_id"], second["update_id"]]
    # An offset above an update confirms it: it is never returned again.
    rest = (await raw(api, "getUpdates", offset=str(first["update_id"] + 1))).json()["result"]
    assert [u["update_id"] for u in rest] == [second["update_id"]]
    assert (await raw(api, "getUpdates", offset=str(second["update_id"] + 1))).json()["result"] == []
    assert (await raw(api, "getUpdates")).json()["result"] == []


async def test_get_updates_limit_negative_offset_and_allowed_updates(api: FakeTelegram) -> None:
    user = api.new_user()
    ids = [api.push_text(user, str(n))["update_id"] for n in range(5)]
    assert [u["update_id"] for u in (await raw(api, "getUpdates", limit="2")).json()["result"]] == ids[:2]
    # A negative offset keeps only the last updates; all earlier ones are forgotten.
    assert [u["update_id"] for u in (await raw(api, "getUpdates", offset="-2")).json()["result"]] == ids[3:]
    assert [u["update_id"] for u in (await raw(api, "getUpdates")).json()["result"]] == ids[3:]
    api.push_update(
        {"edited_message": {"message_id": 1, "date": 0, "chat": user.private_chat(), "text": "e"}}
    )
    kinds = (await raw(api, "getUpdates", allowed_updates='["message"]')).json()["result"]
    assert all("message" in u for u in kinds) and len(kinds) == 2


async def test_a_new_poll_ends_the_previous_one(api: FakeTelegram) -> None:
    first = asyncio.create_task(raw(api, "getUpdates", timeout="30"))
    await api.wait_until(lambda: len(api.calls) == 1, what="first poll")
    second = await raw(api, "getUpdates", timeout="0")
    assert (await first).json()["result"] == [] and second.json()["result"] == []


async def test_a_poll_whose_client_leaves_ends_at_once(api: FakeTelegram) -> None:
    """A bot that stops cancels its long poll: the server stops waiting on it (no 30 s linger)."""
    poll = asyncio.create_task(raw(api, "getUpdates", timeout="30"))
    call = await api.wait_for_poll()
    poll.cancel()
    await api.wait_until(lambda: call.done, within=5, what="the abandoned poll to end")
    assert call.status == 0 and call.result is None


# -- webhook ---------------------------------------------------------------------------------------------
async def test_webhook_receives_pushed_updates_with_the_secret(api: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [503]  # the first post fails: Telegram retries

    async def hook(request: web.Request) -> web.Response:
        if failures:
            return web.Response(status=failures.pop())
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/tg", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        user = api.new_user()
        api.push_text(user, "trước")  # queued before the webhook: delivered to it
        response = await raw(api, "setWebhook", url=f"http://127.0.0.1:{port}/tg", secret_token="s3cr3t-_X")
        assert response.json()["result"] is True
        assert (await raw(api, "getUpdates")).status_code == 409
        api.push_text(user, "sau")
        await api.wait_until(lambda: len(received) == 2, what="two webhook posts")
        assert [(s, u["message"]["text"]) for s, u in received] == [
            ("s3cr3t-_X", "trước"),
            ("s3cr3t-_X", "sau"),
        ]
        assert [status for _, status in api.webhook_attempts] == [503, 200, 200]
        info = (await raw(api, "getWebhookInfo")).json()["result"]
        assert info["pending_update_count"] == 0 and info["url"].endswith("/tg")
        bad = await raw(api, "setWebhook", url="https://x.example/tg", secret_token="no spaces")
        assert bad.status_code == 400
        assert (await raw(api, "deleteWebhook")).json()["result"] is True
        assert (await raw(api, "getUpdates")).status_code == 200
    finally:
        await runner.cleanup()
