"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests and benchmarks.

python-telegram-bot is pointed at it with ``ApplicationBuilder().base_url(api.base_url)``. The
server answers the methods the bot uses with results shaped like the real API, serves updates that
tests push through real long polling (``getUpdates`` honours ``offset`` and ``timeout``; updates
stay queued until a later offset confirms them), or posts them to a webhook once one is set. It
records every request, checks each against the published spec (``telegram_spec``), keeps each
chat's conversation, and can inject faults per method and chat (429, 403, 400, 500, slow answers,
dropped connections) while counting what was really delivered to each chat.

Waiting is event-driven: ``wait_for``/``wait_for_poll``/``wait_for_message``/``wait_until`` wake
on every request the server receives or answers; their timeouts are safety nets, never the thing a
test measures. The server never holds anyone up either: a long poll ends as soon as an update
arrives, a newer poll starts, its client goes away (a bot that stops) or the server stops, and a
slow answer (``Fault.slow``) ends when the server stops.

    async with FakeTelegram() as api:
        ann = api.chat(api.new_user("An"))
        ...  # start the bot with telegram_base_url=api.base_url
        await ann.send("/start", expect="Bạn có đồng ý không?")
        await ann.tap("Tôi đồng ý", expect="phường/xã nào")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from aiohttp import web

from tests.fakes.telegram_spec import MethodSpec, Spec, check_request, decode_value, load_spec, visible_text

TOKEN = "123456:TEST"
WAIT = 10.0  # seconds: the safety net of every wait; a passing test never comes near it
MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendSticker"})
# What a person sees change: a new message, or one the bot edited in place (a ticked list).
SHOWN_METHODS = MESSAGE_METHODS | {"editMessageText", "editMessageCaption"}
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

T = TypeVar("T")


# -- people and what they see ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TgUser:
    id: int
    first_name: str
    last_name: str = ""
    username: str | None = None
    language_code: str | None = "vi"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True, slots=True)
class Upload:
    """A file the bot uploaded (multipart)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class InlineButton:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(slots=True)
class BotMessage:
    """A message the bot sent, as the person sees it now (edits applied)."""

    chat_id: str
    message_id: int
    kind: str  # "text" | "photo" | "document" | "sticker"
    text: str  # text or caption as sent (HTML when parse_mode is HTML)
    parse_mode: str | None
    markup: dict[str, Any] | None
    date: int
    upload: Upload | None = None
    edits: int = 0
    deleted: bool = False

    @property
    def plain(self) -> str:
        return visible_text(self.text, self.parse_mode)

    @property
    def buttons(self) -> list[list[InlineButton]]:
        rows = (self.markup or {}).get("inline_keyboard") or []
        return [
            [InlineButton(b.get("text", ""), b.get("callback_data"), b.get("url")) for b in row]
            for row in rows
        ]

    @property
    def labels(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    @property
    def payloads(self) -> list[str]:
        return [b.callback_data for row in self.buttons for b in row if b.callback_data is not None]

    def button(self, label: str) -> InlineButton:
        """The button with exactly this label, or the only one whose label contains it."""
        flat = [b for row in self.buttons for b in row]
        exact = [b for b in flat if b.text == label]
        found = exact or [b for b in flat if label.casefold() in b.text.casefold()]
        if len(found) != 1:
            raise AssertionError(f"no single button {label!r} on message {self.message_id}: {self.labels}")
        return found[0]

    def to_api(self, bot_user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot_user,
            "chat": chat,
            "date": self.date,
        }
        if self.kind == "text":
            message["text"] = self.plain
        else:
            if self.text:
                message["caption"] = self.plain
            message.update(_media(self.kind, self.message_id, self.upload))
        if self.markup and "inline_keyboard" in self.markup:
            message["reply_markup"] = {"inline_keyboard": self.markup["inline_keyboard"]}
        if self.edits:
            message["edit_date"] = int(time.time())
        return message

    def __str__(self) -> str:
        buttons = f" {self.labels}" if self.labels else ""
        return f"[{self.message_id} {self.kind}] {self.plain}{buttons}"


def _media(kind: str, message_id: int, upload: Upload | None) -> dict[str, Any]:
    file_id = f"{kind}-{message_id}"
    base = {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "file_size": len(upload.data) if upload else 0,
    }
    if kind == "photo":
        return {"photo": [{**base, "width": 320, "height": 240}, {**base, "width": 1280, "height": 960}]}
    if kind == "document":
        name = upload.filename if upload else "file"
        mime = upload.content_type if upload else "application/octet-stream"
        return {"document": {**base, "file_name": name, "mime_type": mime}}
    sticker = {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}
    return {"sticker": {**base, **sticker}}


# -- requests and faults ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fault:
    """How the server misbehaves for one request."""

    status: int = 200
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0  # seconds before answering
    drop: bool = False  # close the connection instead of answering
    deliver: bool = False  # with delay or drop: the message still reaches the person

    @classmethod
    def too_many_requests(cls, retry_after: int = 1) -> Fault:
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    @classmethod
    def blocked(cls) -> Fault:
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def chat_not_found(cls) -> Fault:
        return cls(400, "Bad Request: chat not found")

    @classmethod
    def server_error(cls) -> Fault:
        return cls(500, "Internal Server Error")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Deliver, then answer late (a client that gave up may send the message twice)."""
        return cls(delay=seconds, deliver=True)

    @classmethod
    def dropped(cls, deliver: bool = False) -> Fault:
        """Close the connection without an answer, after delivering or not."""
        return cls(drop=True, deliver=deliver)


@dataclass(slots=True)
class FaultRule:
    fault: Fault
    method: str | None = None  # None: every method but getUpdates
    chat_id: str | None = None
    remaining: int | None = 1  # None: for ever
    hits: int = 0

    def matches(self, call: Call) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is None:
            if call.method == "getUpdates":
                return False
        elif call.method != self.method:
            return False
        return self.chat_id is None or call.chat_id == self.chat_id


@dataclass(slots=True)
class Call:
    """One request the bot made, as the server decoded and answered it."""

    index: int
    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    at: float  # time.perf_counter() when it arrived
    status: int = 0  # HTTP status answered; 0 while pending or when the connection was dropped
    done: bool = False  # answered, or its connection dropped (by a fault, or by the client leaving)
    result: Any = None
    description: str = ""
    fault: Fault | None = None
    message: BotMessage | None = None  # the message it created or edited

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> str | None:
        chat = self.params.get("chat_id")
        return None if chat is None else str(chat)

    @property
    def text(self) -> str | None:
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


# -- the server ------------------------------------------------------------------------------------
class FakeTelegram:
    def __init__(
        self,
        token: str = TOKEN,
        *,
        username: str = "khuyenhoc_test_bot",
        first_name: str = "Khuyến học (thử)",
        spec_path: Path | None = None,
        validate: bool = True,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.spec: Spec | None = load_spec(spec_path) if validate else None
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.deliveries: Counter[str] = Counter()  # chat id → messages that reached it
        self.policy: Callable[[Call], Fault | None] | None = None
        self.rules: list[FaultRule] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (scope type, language) → menu
        self.webhook: dict[str, Any] | None = None
        self.webhook_attempts: list[tuple[int, int]] = []  # (update_id, HTTP status or 0)
        self.webhook_retry_delay = webhook_retry_delay
        self.allowed_updates: frozenset[str] | None = None
        self.callback_answers: dict[str, dict[str, Any]] = {}  # query id → the answer's params
        self.files: dict[str, bytes] = {}  # file_id → content, for getFile and downloads
        self._pending_callbacks: set[str] = set()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._user_ids = itertools.count(1001)
        self._query_ids = itertools.count(1)
        self._message_ids: Counter[str] = Counter()
        self._chats: dict[str, dict[str, Any]] = {}  # chat id → Chat object seen in updates
        self._log: dict[str, list[tuple[str, Any]]] = {}  # chat id → ("user", text) | ("bot", BotMessage)
        self._messages: dict[tuple[str, int], BotMessage] = {}
        self._changed = asyncio.Event()
        self._arrived = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self._stopping = asyncio.Event()  # set by stop(): the fake's own waits end at once
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.port = 0
        self._handlers: dict[str, Callable[[Call], Any]] = {
            "getMe": lambda call: self.bot_user,
            "logOut": lambda call: True,
            "close": lambda call: True,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "setMyCommands": self._set_commands,
            "getMyCommands": self._get_commands,
            "deleteMyCommands": self._delete_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendSticker": self._send_sticker,
            "sendChatAction": lambda call: True,
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url``/``TELEGRAM_BASE_URL``: the token is appended."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> Self:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # A client that goes away ends its request's handler at once (handler_cancellation): a
        # bot that stops cancels its long poll, and the server stops waiting on it too.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        self._closing = True
        self._stopping.set()
        self._wake_pollers()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- people ------------------------------------------------------------------------------------
    def new_user(
        self, first_name: str = "An", last_name: str = "Nguyễn Văn", language_code: str | None = "vi"
    ) -> TgUser:
        user_id = next(self._user_ids)
        return TgUser(user_id, first_name, last_name, f"user{user_id}", language_code)

    def chat(self, user: TgUser) -> FakeChat:
        return FakeChat(self, user)

    # -- pushing updates (what people do) ----------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an update_id is added when missing) for getUpdates or the webhook."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._wake_pollers()
        if self.webhook is not None:
            self._kick_webhook()
        return update

    def push_text(self, user: TgUser, text: str, chat: dict[str, Any] | None = None) -> dict[str, Any]:
        message = self._user_message(user, chat)
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
        self._note(str(message["chat"]["id"]), ("user", text))
        return self.push_update({"message": message})

    def push_start(self, user: TgUser, argument: str | None = None) -> dict[str, Any]:
        """What Telegram sends when someone opens t.me/<bot>?start=<argument> and taps Start."""
        return self.push_text(user, f"/start {argument}" if argument else "/start")

    def push_group_text(self, user: TgUser, text: str, group_id: int = -1001234567890) -> dict[str, Any]:
        group = {"id": group_id, "type": "supergroup", "title": "Chi hội khuyến học"}
        return self.push_text(user, text, chat=group)

    def push_photo(self, user: TgUser, caption: str | None = None, data: bytes = b"") -> dict[str, Any]:
        """A picture from a person; ``data`` is what getFile then serves for download."""
        message = self._user_message(user)
        upload = Upload("photo.jpg", "image/jpeg", data) if data else None
        message.update(_media("photo", message["message_id"], upload))
        self.files[f"photo-{message['message_id']}"] = data
        if caption:
            message["caption"] = caption
        self._note(str(user.id), ("user", "[photo]"))
        return self.push_update({"message": message})

    def push_sticker(self, user: TgUser) -> dict[str, Any]:
        message = self._user_message(user)
        message.update(_media("sticker", message["message_id"], None))
        message["sticker"]["emoji"] = "👍"
        self._note(str(user.id), ("user", "[sticker]"))
        return self.push_update({"message": message})

    def push_callback(self, user: TgUser, data: str, message: BotMessage | None = None) -> dict[str, Any]:
        """A button press; ``data`` need not be on the message (a forged payload)."""
        message = message or self.last_keyboard(str(user.id))
        if message is None:
            raise AssertionError(f"chat {user.id} has no message with buttons to press")
        query_id = str(next(self._query_ids))
        self._pending_callbacks.add(query_id)
        chat = self._chat_object(message.chat_id)
        self._note(message.chat_id, ("user", f"[pressed {data}]"))
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_api(),
                    "message": message.to_api(self.bot_user, chat),
                    "chat_instance": f"ci{message.chat_id}",
                    "data": data,
                }
            }
        )

    def press(self, user: TgUser, label: str, message: BotMessage | None = None) -> dict[str, Any]:
        """Tap the button labelled ``label`` on the latest keyboard (or on ``message``)."""
        message = message or self.last_keyboard(str(user.id))
        if message is None:
            raise AssertionError(f"chat {user.id} has no message with buttons to press")
        data = message.button(label).callback_data
        if data is None:
            raise AssertionError(f"button {label!r} is not a callback button")
        return self.push_callback(user, data, message)

    def _user_message(self, user: TgUser, chat: dict[str, Any] | None = None) -> dict[str, Any]:
        chat = chat or user.private_chat()
        chat_id = str(chat["id"])
        self._chats.setdefault(chat_id, chat)
        self._message_ids[chat_id] += 1
        return {
            "message_id": self._message_ids[chat_id],
            "from": user.to_api(),
            "chat": chat,
            "date": int(time.time()),
        }

    def _note(self, chat_id: str, entry: tuple[str, Any]) -> None:
        self._log.setdefault(chat_id, []).append(entry)

    # -- reading the conversation ------------------------------------------------------------------
    def conversation(self, chat_id: str | int) -> list[BotMessage]:
        """Every message the bot sent to this chat, edits applied, deleted ones left out."""
        return [e[1] for e in self._log.get(str(chat_id), []) if e[0] == "bot" and not e[1].deleted]

    def texts(self, chat_id: str | int) -> list[str]:
        return [m.plain for m in self.conversation(chat_id)]

    def last_message(self, chat_id: str | int) -> BotMessage | None:
        messages = self.conversation(chat_id)
        return messages[-1] if messages else None

    def last_keyboard(self, chat_id: str | int) -> BotMessage | None:
        return next((m for m in reversed(self.conversation(chat_id)) if m.buttons), None)

    def messages_since(self, chat_id: str | int, mark: int) -> list[BotMessage]:
        """Messages the bot sent to this chat by requests made after ``mark`` (see ``mark()``)."""
        chat = str(chat_id)
        return [
            c.message
            for c in self.calls[mark:]
            if c.ok and c.message is not None and c.method in MESSAGE_METHODS and c.message.chat_id == chat
        ]

    def transcript(self, chat_id: str | int) -> str:
        """The chat as text, for assertion messages: '> ' what the person did, '< ' bot messages."""
        lines = []
        for who, entry in self._log.get(str(chat_id), []):
            lines.append(f"> {entry}" if who == "user" else f"< {entry}")
        return "\n".join(lines) or "(nothing)"

    @property
    def queued(self) -> int:
        """Updates not confirmed yet (by a later getUpdates offset, or a webhook's 2xx)."""
        return len(self._updates)

    @property
    def unanswered_callbacks(self) -> set[str]:
        return set(self._pending_callbacks)

    # -- waiting -----------------------------------------------------------------------------------
    def mark(self) -> int:
        """A position in the request log: later waits and reads can look only at what follows."""
        return len(self.calls)

    async def wait_until(self, condition: Callable[[], bool], within: float = WAIT, what: str = "") -> None:
        def check() -> bool | None:
            return True if condition() else None

        await self._wait(check, within, what or "condition")

    async def wait_for(
        self,
        method: str | Iterable[str] | None = None,
        *,
        chat_id: str | int | None = None,
        after: int = 0,
        where: Callable[[Call], bool] | None = None,
        within: float = WAIT,
        answered: bool = True,
    ) -> Call:
        """The first answered request after position ``after`` that matches (with
        ``answered=False``: the first one that arrived, answered or still pending)."""
        methods = {method} if isinstance(method, str) else set(method) if method is not None else None
        chat = None if chat_id is None else str(chat_id)
        position = after
        unanswered: list[Call] = []  # seen before they were answered: look again later

        def matches(call: Call) -> bool:
            if methods is not None and call.method not in methods:
                return False
            return (chat is None or call.chat_id == chat) and (where is None or where(call))

        def find() -> Call | None:
            # Each request is examined once it is answered, so a wait through a long benchmark
            # costs time linear in the number of requests. Requests in flight together have no
            # order, so the first answered match wins.
            nonlocal position, unanswered
            found: Call | None = None
            still: list[Call] = []
            for call in unanswered:
                if not call.done and answered:
                    still.append(call)
                elif found is None and matches(call):
                    found = call
            unanswered = still
            calls = self.calls
            while found is None and position < len(calls):
                call = calls[position]
                position += 1
                if not call.done and answered:
                    unanswered.append(call)
                elif matches(call):
                    found = call
            return found

        return await self._wait(find, within, f"request {methods or 'any'} to chat {chat}", chat)

    async def wait_for_poll(self, *, after: int = 0, within: float = WAIT) -> Call:
        """The bot's first ``getUpdates`` after ``after``, as soon as it arrives: the bot is polling.

        Not its answer: a long poll with nothing to deliver is answered only at its timeout."""
        return await self.wait_for("getUpdates", after=after, within=within, answered=False)

    async def wait_for_message(
        self, chat_id: str | int, *, contains: str | None = None, after: int = 0, within: float = WAIT
    ) -> BotMessage:
        """The first message to this chat after ``after`` (new, or edited in place) whose visible
        text contains ``contains``."""

        def matches(call: Call) -> bool:
            return (
                call.ok and call.message is not None and (contains is None or contains in call.message.plain)
            )

        call = await self.wait_for(SHOWN_METHODS, chat_id=chat_id, after=after, where=matches, within=within)
        assert call.message is not None
        return call.message

    async def _wait(
        self, find: Callable[[], T | None], within: float, what: str, chat: str | None = None
    ) -> T:
        try:
            async with asyncio.timeout(within):
                while True:
                    changed = self._changed
                    found = find()
                    if found is not None:
                        return found
                    await changed.wait()
        except TimeoutError:
            context = f"\nconversation with {chat}:\n{self.transcript(chat)}" if chat else ""
            raise AssertionError(f"no {what} within {within} s{context}") from None

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- faults --------------------------------------------------------------------------------------
    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        chat_id: str | int | None = None,
        times: int | None = 1,
    ) -> FaultRule:
        """Misbehave for the next ``times`` matching requests (None: until ``clear_faults``)."""
        rule = FaultRule(fault, method, None if chat_id is None else str(chat_id), times)
        self.rules.append(rule)
        return rule

    def clear_faults(self) -> None:
        self.rules.clear()
        self.policy = None

    def _fault_for(self, call: Call) -> Fault | None:
        if self.policy is not None:
            fault = self.policy(call)
            if fault is not None:
                return fault
        for rule in self.rules:
            if rule.matches(call):
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule.fault
        return None

    # -- HTTP ----------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        spec_method = self.spec.method(name) if self.spec is not None else None
        method = spec_method.name if spec_method is not None else name
        try:
            params, files = await self._read(request, spec_method)
        except ValueError:  # a body that is not JSON or not a form
            params, files = {"_body": "unreadable"}, {}
        call = Call(len(self.calls), method, params, files, time.perf_counter())
        self.calls.append(call)
        self._notify()  # arrival matters too, e.g. to know a long poll is waiting
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if self.spec is not None:
                self._check(call)
            fault = self._fault_for(call)
            if fault is not None:
                call.fault = fault
                return await self._misbehave(request, call, fault)
            result = await self._run(call)
            return self._answer(call, 200, result)
        except ApiError as error:
            return self._answer(call, error.status, None, error.description, error.retry_after)
        except asyncio.CancelledError:
            # The client went away before the answer (e.g. a long poll of a bot that stopped).
            if not call.done:
                call.done = True
                self._notify()
            raise

    def _check(self, call: Call) -> None:
        assert self.spec is not None
        problems = check_request(self.spec, call.method, call.params)
        if not problems:
            return
        self.violations.extend(f"#{call.index} {problem}" for problem in problems)
        if self.spec.method(call.method) is None:
            raise ApiError(404, "Not Found")
        # Telegram ignores unknown parameters but refuses the rest, so the bot sees what it would.
        refused = [p for p in problems if ": unknown parameter " not in p]
        if refused:
            raise ApiError(400, f"Bad Request: {refused[0]}")

    async def _read(
        self, request: web.Request, spec_method: MethodSpec | None
    ) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            else:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        files[key] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        raw[key] = value
        for key, value in raw.items():
            params[key] = decode_value(key, value, spec_method)
        for key in files:
            params.setdefault(key, f"attach://{key}")
        return params, files

    def _answer(
        self,
        call: Call,
        status: int,
        result: Any,
        description: str = "",
        retry_after: int | None = None,
    ) -> web.Response:
        call.status, call.result, call.description, call.done = status, result, description, True
        if status == 200:
            body: dict[str, Any] = {"ok": True, "result": result}
        else:
            body = {"ok": False, "error_code": status, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
        self._notify()
        return web.Response(body=json.dumps(body).encode(), status=status, content_type="application/json")

    async def _misbehave(self, request: web.Request, call: Call, fault: Fault) -> web.StreamResponse:
        result: Any = None
        if fault.deliver:
            result = await self._run(call)
        if fault.delay:
            # The fake's own slowness, not a test waiting; it ends when the server stops.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.delay)
        if fault.drop:
            call.result, call.done = result, True
            if request.transport is not None:
                request.transport.abort()
            self._notify()
            return web.Response(status=500)  # never reaches the client: the connection is gone
        if fault.status != 200:
            return self._answer(call, fault.status, None, fault.description, fault.retry_after)
        return self._answer(call, 200, result if fault.deliver else await self._run(call))

    async def _run(self, call: Call) -> Any:
        handler = self._handlers.get(call.method)
        if handler is None:
            spec_method = self.spec.method(call.method) if self.spec is not None else None
            if spec_method is not None and spec_method.returns == ("Boolean",):
                return True
            self.violations.append(f"#{call.index} the fake server does not implement {call.method}")
            raise ApiError(400, f"Bad Request: the fake server does not implement {call.method}")
        result = handler(call)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    # -- methods: updates and webhook ------------------------------------------------------------------
    async def _get_updates(self, call: Call) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = call.params
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = frozenset(allowed) if allowed else None
        self._confirm(params.get("offset"))
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        # A new getUpdates ends any older one still waiting (its client has given up on it).
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = self._deliverable(limit)
            if ready or self._closing or generation != self._poll_generation:
                return ready
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            arrived = self._arrived
            try:
                async with asyncio.timeout(remaining):
                    await arrived.wait()
            except TimeoutError:
                return []

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or isinstance(offset, bool):
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        allowed = self.allowed_updates

        def wanted(update: dict[str, Any]) -> bool:
            kind = _kind(update)
            return kind in allowed if allowed is not None else kind not in _NOT_BY_DEFAULT

        if not all(wanted(u) for u in self._updates):
            # Telegram never queues updates of kinds the bot did not ask for.
            self._updates = [u for u in self._updates if wanted(u)]
        return self._updates[:limit]

    def _wake_pollers(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    def _set_webhook(self, call: Call) -> bool:
        params = call.params
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if secret is not None and not (
            isinstance(secret, str)
            and 1 <= len(secret) <= 256
            and all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
        ):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if not url:
            self.webhook = None
            return True
        if not str(url).startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
        self._kick_webhook()
        return True

    def _delete_webhook(self, call: Call) -> bool:
        self.webhook = None
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _webhook_info(self, call: Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            info["max_connections"] = 40
        return info

    def _kick_webhook(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._post_updates())

    async def _post_updates(self) -> None:
        """Post queued updates to the webhook one by one, in order, retrying failures."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT))
        while self.webhook is not None and self._updates and not self._closing:
            update = self._updates[0]
            headers = {"Content-Type": "application/json"}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            try:
                async with self._session.post(
                    self.webhook["url"], data=json.dumps(update), headers=headers
                ) as r:
                    status = r.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            self.webhook_attempts.append((update["update_id"], status))
            if 200 <= status < 300:
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
            else:
                await asyncio.sleep(self.webhook_retry_delay)  # Telegram backs off too
            self._notify()

    # -- methods: commands ---------------------------------------------------------------------------
    @staticmethod
    def _menu_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope")
        kind = scope.get("type", "default") if isinstance(scope, dict) else "default"
        if kind == "chat" and isinstance(scope, dict):
            kind = f"chat:{scope.get('chat_id')}"  # each chat has a menu of its own
        return kind, str(params.get("language_code") or "")

    def _set_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        self.commands[self._menu_key(call.params)] = list(commands) if isinstance(commands, list) else []
        return True

    def _get_commands(self, call: Call) -> list[dict[str, Any]]:
        return self.commands.get(self._menu_key(call.params), [])

    def _delete_commands(self, call: Call) -> bool:
        self.commands.pop(self._menu_key(call.params), None)
        return True

    # -- methods: messages ---------------------------------------------------------------------------
    def _chat_object(self, chat_id: str) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = {"id": int(chat_id), "type": "private", "first_name": "?"}
        return chat

    def _target_chat(self, call: Call) -> str:
        chat = call.chat_id
        if chat is None or not chat.lstrip("-").isdigit():
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _deliver(
        self, call: Call, kind: str, text: str, upload: Upload | None = None, media_name: str = ""
    ) -> dict[str, Any]:
        chat_id = self._target_chat(call)
        params = call.params
        if upload is None and media_name and isinstance(params.get(media_name), str):
            upload = Upload(str(params[media_name]), "", b"")  # a file id or URL, nothing uploaded
        markup = params.get("reply_markup")
        self._message_ids[chat_id] += 1
        message = BotMessage(
            chat_id=chat_id,
            message_id=self._message_ids[chat_id],
            kind=kind,
            text=text,
            parse_mode=params.get("parse_mode"),
            markup=markup if isinstance(markup, dict) else None,
            date=int(time.time()),
            upload=upload,
        )
        self._messages[(chat_id, message.message_id)] = message
        self._note(chat_id, ("bot", message))
        self.deliveries[chat_id] += 1
        call.message = message
        return message.to_api(self.bot_user, self._chat_object(chat_id))

    def _send_message(self, call: Call) -> dict[str, Any]:
        return self._deliver(call, "text", str(call.params.get("text", "")))

    def _send_photo(self, call: Call) -> dict[str, Any]:
        return self._deliver(
            call, "photo", str(call.params.get("caption") or ""), call.files.get("photo"), "photo"
        )

    def _send_document(self, call: Call) -> dict[str, Any]:
        upload = call.files.get("document")
        return self._deliver(call, "document", str(call.params.get("caption") or ""), upload, "document")

    def _send_sticker(self, call: Call) -> dict[str, Any]:
        return self._deliver(call, "sticker", "", call.files.get("sticker"), "sticker")

    def _find_message(self, call: Call) -> BotMessage:
        chat_id = self._target_chat(call)
        message = self._messages.get((chat_id, _int(call.params.get("message_id"))))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _edit(self, call: Call, text: str | None) -> dict[str, Any] | bool:
        if "inline_message_id" in call.params:
            return True
        message = self._find_message(call)
        markup = call.params.get("reply_markup")
        markup = markup if isinstance(markup, dict) else None
        new_text = message.text if text is None else text
        if new_text == message.text and markup == message.markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message",
            )
        message.text, message.markup = new_text, markup
        if text is not None:
            message.parse_mode = call.params.get("parse_mode")
        message.edits += 1
        call.message = message
        return message.to_api(self.bot_user, self._chat_object(message.chat_id))

    def _edit_text(self, call: Call) -> dict[str, Any] | bool:
        return self._edit(call, str(call.params.get("text", "")))

    def _edit_caption(self, call: Call) -> dict[str, Any] | bool:
        return self._edit(call, str(call.params.get("caption") or ""))

    def _edit_markup(self, call: Call) -> dict[str, Any] | bool:
        return self._edit(call, None)

    def _delete_message(self, call: Call) -> bool:
        message = self._find_message(call)
        message.deleted = True
        return True

    def _answer_callback(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id"))
        if query_id not in self._pending_callbacks:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._pending_callbacks.discard(query_id)
        self.callback_answers[query_id] = dict(call.params)
        return True

    def _get_file(self, call: Call) -> dict[str, Any]:
        file_id = str(call.params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data),
            "file_path": f"photos/{file_id}.jpg",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].removeprefix("photos/").removesuffix(".jpg")
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    def _get_chat(self, call: Call) -> dict[str, Any]:
        chat = self._chat_object(self._target_chat(call))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {}}


def _kind(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class FakeChat:
    """One person in a private chat with the bot: act, then wait for the answer you expect."""

    def __init__(self, api: FakeTelegram, user: TgUser) -> None:
        self.api = api
        self.user = user

    @property
    def chat_id(self) -> str:
        return str(self.user.id)

    async def send(self, text: str, expect: str | None = None, within: float = WAIT) -> BotMessage:
        """Type ``text``; the first bot message after it that contains ``expect``."""
        mark = self.api.mark()
        self.api.push_text(self.user, text)
        return await self.api.wait_for_message(self.chat_id, contains=expect, after=mark, within=within)

    async def start(self, argument: str | None = None, expect: str | None = None) -> BotMessage:
        mark = self.api.mark()
        self.api.push_start(self.user, argument)
        return await self.api.wait_for_message(self.chat_id, contains=expect, after=mark)

    async def onboard(self, ward: str = "Phường Liên Bảo", village: str = "Tổ dân phố 1") -> None:
        """Accept consent and choose an area by buttons; returns once the help has arrived."""
        await self.start(expect="Bạn có đồng ý không?")
        await self.tap("Tôi đồng ý", expect="phường/xã nào?")
        await self.tap(ward, expect="thôn/tổ dân phố nào?")
        await self.tap(village, expect="Đúng không?")
        mark = self.api.mark()
        await self.tap("Đúng rồi", expect="Xong rồi!")
        await self.api.wait_for_message(self.chat_id, contains="/trogiup", after=mark)  # then the help

    async def tap(
        self, label: str, expect: str | None = None, message: BotMessage | None = None
    ) -> BotMessage:
        """Tap a button of the latest keyboard by its label."""
        mark = self.api.mark()
        self.api.press(self.user, label, message)
        return await self.api.wait_for_message(self.chat_id, contains=expect, after=mark)

    async def press(
        self, data: str, expect: str | None = None, message: BotMessage | None = None
    ) -> BotMessage:
        """Send a callback query with any ``data`` (forged when it is not on the message)."""
        mark = self.api.mark()
        self.api.push_callback(self.user, data, message)
        return await self.api.wait_for_message(self.chat_id, contains=expect, after=mark)

    async def send_photo(self, expect: str | None = None) -> BotMessage:
        mark = self.api.mark()
        self.api.push_photo(self.user)
        return await self.api.wait_for_message(self.chat_id, contains=expect, after=mark)

    async def send_sticker(self, expect: str | None = None) -> BotMessage:
        mark = self.api.mark()
        self.api.push_sticker(self.user)
        return await self.api.wait_for_message(self.chat_id, contains=expect, after=mark)

    @property
    def messages(self) -> list[BotMessage]:
        return self.api.conversation(self.chat_id)

    @property
    def last(self) -> BotMessage:
        message = self.api.last_message(self.chat_id)
        if message is None:
            raise AssertionError(f"the bot has sent nothing to {self.chat_id}")
        return message

    @property
    def transcript(self) -> str:
        return self.api.transcript(self.chat_id)


__all__ = [
    "MESSAGE_METHODS",
    "TOKEN",
    "BotMessage",
    "Call",
    "FakeChat",
    "FakeTelegram",
    "Fault",
    "FaultRule",
    "InlineButton",
    "TgUser",
    "Upload",
]
