"""A fake Zalo Bot API on 127.0.0.1, answering with the shapes the real platform sends.

- ``POST /bot<TOKEN>/<method>`` with a JSON body; answers ``{"ok": true, "result": …}`` or
  ``{"ok": false, "error_code": N, "description": …}`` (a wrong token is 401).
- ``getUpdates`` returns ONE event per call, wrapped in ``{ok, result}``; an empty poll
  answers error 408 "Request timeout" (with HTTP 200, like other errors can).
- Once ``setWebhook`` is called, events are POSTed bare to the webhook URL with the
  ``X-Bot-Api-Secret-Token`` header instead, and ``getUpdates`` is refused.
- ``inject(method, code, http_status=…)`` makes the next calls of a method fail: 429, 403, 500,
  or ``ok: false`` with HTTP 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "2207283817456621345:fakeZaloTokenForTests"
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: the user has not allowed the bot to message them",
    404: "Not Found",
    408: "Request timeout",
    429: "Quota exceeded",
    500: "Internal Server Error",
}


@dataclass(slots=True)
class Sent:
    method: str
    chat_id: str
    text: str  # the text, or a photo's caption
    photo: str | None = None


@dataclass(slots=True)
class Injected:
    code: int
    http_status: int
    times: int


@dataclass
class FakeZaloApi:
    token: str = TOKEN
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_statuses: list[int] = field(default_factory=list)
    fetched_photos: dict[str, bytes] = field(default_factory=dict)
    slow_send: float = 0.0  # seconds sendMessage takes to answer, after the message arrived

    def __post_init__(self) -> None:
        self._updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._injected: dict[str, deque[Injected]] = {}
        self._changed = asyncio.Condition()
        self._stopping = asyncio.Event()  # set by stop(): long polls still waiting answer at once
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> FakeZaloApi:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        # A client that goes away ends its long poll at once; stop() answers those still waiting,
        # so neither holds teardown up.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeZaloApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What ZALO_BASE_URL is set to: the token is appended."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what a person does -------------------------------------------------------------------
    @staticmethod
    def event(
        user_id: str, event_name: str = "message.text.received", text: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "from": {
                "id": user_id,
                "display_name": extra.pop("display_name", "Trần Thị Bình"),
                "is_bot": False,
            },
            "chat": {"id": user_id, "chat_type": extra.pop("chat_type", "PRIVATE")},
            "message_id": secrets.token_hex(10),
            "date": int(time.time() * 1000),
        }
        if text is not None:
            message["text"] = text
        message.update(extra)
        return {"event_name": event_name, "message": message}

    async def user_sends(self, user_id: str, text: str, **extra: Any) -> None:
        await self.push(self.event(user_id, text=text, **extra))

    async def push(self, event: dict[str, Any]) -> None:
        """Deliver an event: to the webhook if one is set, else to the next getUpdates."""
        if self.webhook_url:
            await self.post_to_webhook(event, self.webhook_secret)
        else:
            await self._updates.put(event)

    async def post_to_webhook(self, body: Any, secret: str | None) -> int:
        headers = {} if secret is None else {"X-Bot-Api-Secret-Token": secret}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook_url, json=body, headers=headers) as response,
        ):
            self.webhook_statuses.append(response.status)
            return response.status

    def pending_updates(self) -> int:
        return self._updates.qsize()

    # -- error injection ----------------------------------------------------------------------
    def inject(self, method: str, code: int, *, http_status: int | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` fail with ``code`` (HTTP status defaults to it)."""
        self._injected.setdefault(method, deque()).append(
            Injected(code, http_status if http_status is not None else code, times)
        )

    # -- what the bot did ---------------------------------------------------------------------
    def texts_to(self, chat_id: str) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id]

    async def wait_for_sent(self, count: int) -> list[Sent]:
        async with asyncio.timeout(WAIT_LIMIT), self._changed:
            await self._changed.wait_for(lambda: len(self.sent) >= count)
        return self.sent

    # -- the API ------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401)
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            return _error(400, "body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "body is not a JSON object")
        self.calls.append((method, body))
        queued = self._injected.get(method)
        if queued:
            injected = queued[0]
            injected.times -= 1
            if injected.times <= 0:
                queued.popleft()
            return _error(injected.code, status=injected.http_status)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404)
        result = await handler(body)
        if isinstance(result, web.Response):
            return result
        async with self._changed:
            self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, body: dict[str, Any]) -> Any:
        return {
            "id": "1459232241454765289",
            "account_name": "bot.KhuyenHoc",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _api_getUpdates(self, body: dict[str, Any]) -> Any:
        if self.webhook_url:
            return _error(400, "webhook is active: use deleteWebhook before getUpdates", status=200)
        timeout = float(body.get("timeout", 30))
        update = asyncio.ensure_future(self._updates.get())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait((update, stopping), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not update.done():
                update.cancel()
        if update.done() and not update.cancelled():
            return update.result()
        return _error(EMPTY_POLL_CODE, status=200)  # the poll's timeout, or the server stops

    async def _api_setWebhook(self, body: dict[str, Any]) -> Any:
        url, secret = body.get("url"), body.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("https://", "http://127.0.0.1")):
            return _error(400, "url must be HTTPS")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return _error(400, "secret_token must have 8 to 256 characters")
        self.webhook_url, self.webhook_secret = url, secret
        return {"url": url, "updated_at": int(time.time() * 1000)}

    async def _api_deleteWebhook(self, body: dict[str, Any]) -> Any:
        self.webhook_url = self.webhook_secret = ""
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _api_getWebhookInfo(self, body: dict[str, Any]) -> Any:
        return {"url": self.webhook_url, "updated_at": int(time.time() * 1000)}

    async def _api_sendMessage(self, body: dict[str, Any]) -> Any:
        chat_id, text = body.get("chat_id"), body.get("text")
        if not isinstance(chat_id, str) or not chat_id:
            return _error(400, "chat_id must be a string")
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return _error(400, "text must have 1 to 2000 characters")
        self.sent.append(Sent("sendMessage", chat_id, text))
        if self.slow_send:
            with contextlib.suppress(TimeoutError):  # ends early when the server stops
                await asyncio.wait_for(self._stopping.wait(), self.slow_send)
        return {"message_id": secrets.token_hex(10), "date": int(time.time() * 1000)}

    async def _api_sendPhoto(self, body: dict[str, Any]) -> Any:
        chat_id, photo, caption = body.get("chat_id"), body.get("photo"), body.get("caption")
        if not isinstance(chat_id, str) or not isinstance(photo, str) or not photo.startswith("http"):
            return _error(400, "photo must be a public URL")
        if caption is not None and (not isinstance(caption, str) or not 1 <= len(caption) <= 2000):
            return _error(400, "caption must have 1 to 2000 characters")
        # Like the platform, fetch the image now: a URL that does not serve one is refused.
        async with aiohttp.ClientSession() as session, session.get(photo) as response:
            if response.status != 200 or not response.content_type.startswith("image/"):
                return _error(400, "photo could not be downloaded")
            self.fetched_photos[photo] = await response.read()
        self.sent.append(Sent("sendPhoto", chat_id, caption or "", photo))
        return {"message_id": secrets.token_hex(10), "date": int(time.time() * 1000)}

    async def _api_sendChatAction(self, body: dict[str, Any]) -> Any:
        return None


EMPTY_POLL_CODE = 408
WAIT_LIMIT = 10.0  # seconds before a wait in a test gives up: a hang fails, it does not measure time


async def wait_until(condition: Callable[[], bool]) -> None:
    """Wait for something another task does (a reply sent, an event handled), or fail after a while."""
    async with asyncio.timeout(WAIT_LIMIT):
        while not condition():  # noqa: ASYNC110 - state owned by other code, nothing to await on
            await asyncio.sleep(0.005)


def _error(code: int, description: str | None = None, *, status: int | None = None) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description or DESCRIPTIONS.get(code, "Error")},
        status=status if status is not None else code,
    )
