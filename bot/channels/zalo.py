"""The Zalo Bot Platform over httpx: events → ``Incoming``; ``Reply`` → plain text, choices written out.

The Bot API is shaped like Telegram's (``<base><token>/<method>``, POST JSON) but differs where
it matters: ``getUpdates`` returns one event per call and answers an empty poll with error 408;
errors may arrive with HTTP 200, so ``ok``/``error_code`` are always read; ids are strings;
there are no buttons, so choices are written out as text (``bot.channels.base.shown``) and the
router maps a typed number back.

Receiving goes through the inbox (``bot.inbox``): a polled event is stored at once (getUpdates
consumes it, there is no confirmation to hold back), a webhook event is stored and then answered
200 — never after it is handled, so a burst is answered as fast as it is stored. An event sent
again (same ``message_id``, or the same event when it has none) is recognised and not handled twice.

Photos: ``sendPhoto`` takes a public URL only. When ``PUBLIC_BASE_URL`` is set the image is
published by our webhook server at an unguessable URL for a week (``bot.channels.webhook``);
otherwise the person gets the caption text with a short note that a picture could not be shown.
Documents (exported reports) are never published this way, since they may hold personal data:
the person gets the text with a note to fetch the file on Telegram or from an officer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

import httpx
from aiolimiter import AsyncLimiter

from bot.channels.base import Capabilities, shown
from bot.channels.webhook import Endpoint, InvalidUpdate, PublicFiles
from bot.config import Settings
from bot.delivery.errors import PermanentFailure, RetryAfter, TemporaryFailure, Unreachable
from bot.i18n import _
from bot.inbox import Inbox
from bot.model import Incoming, Reply
from bot.router import Router
from bot.text import normalize_nfc, to_json
from storage.inbox import NewUpdate

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(buttons=False, max_text=2000, html=False, utf16=True)  # Zalo counts UTF-16
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_EVENT = "message.text.received"
EMPTY_POLL = 408  # getUpdates found nothing during its timeout
REQUEST_TIMEOUT = 15.0  # seconds, for every call but the long poll
POLL_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds between failed polls
REPLY_RETRY_CAP = 10.0  # a reply waits at most this long after a 429 before giving up


class ZaloApiError(Exception):
    """The API answered ``ok: false`` (or something that is not its JSON at all)."""

    def __init__(self, method: str, error_code: int | None, description: str) -> None:
        super().__init__(f"{method}: error {error_code}: {description}")
        self.method = method
        self.error_code = error_code
        self.description = description


class ZaloNetworkError(Exception):
    """No answer: the connection failed or timed out (the request may or may not have arrived)."""

    def __init__(self, method: str, timed_out: bool, detail: str) -> None:
        super().__init__(f"{method}: {'timed out' if timed_out else 'network error'}: {detail}")
        self.timed_out = timed_out


class ZaloApi:
    """A thin client: one method call in, ``result`` out, ``ZaloApiError`` otherwise.

    The token is part of every URL: it never appears in our messages or logs.
    """

    def __init__(self, token: str, base_url: str, *, timeout: float = REQUEST_TIMEOUT) -> None:
        self._url = f"{base_url}{token}/"
        self._client = httpx.AsyncClient(timeout=timeout)

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, *, wait: float | None = None
    ) -> Any:
        try:
            response = await self._client.post(
                self._url + method,
                json=payload or {},
                timeout=wait if wait is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as exc:
            raise ZaloNetworkError(method, True, type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise ZaloNetworkError(method, False, type(exc).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "ok" not in body:
            raise ZaloApiError(
                method, response.status_code, f"HTTP {response.status_code} without an API answer"
            )
        if body.get("ok") is not True:
            code = body.get("error_code")
            error_code = code if isinstance(code, int) else response.status_code
            raise ZaloApiError(method, error_code, str(body.get("description") or "no description"))
        return body.get("result")

    async def close(self) -> None:
        await self._client.aclose()


# -- events → Incoming ------------------------------------------------------------------------
def events_in(body: Any) -> list[dict[str, Any]]:
    """The events in a webhook body or a getUpdates result: bare, wrapped in ``{ok, result}``, or a list."""
    if isinstance(body, dict) and "event_name" not in body and ("result" in body or "ok" in body):
        if body.get("ok") is not True:
            return []
        body = body.get("result")
    items: Iterable[Any] = body if isinstance(body, list) else [body]
    return [item for item in items if isinstance(item, dict)]


# Members of an event and of its message, with the JSON types they must have when present.
_EVENT_TYPES: dict[str, type | tuple[type, ...]] = {"event_name": str, "message": dict}
_MESSAGE_TYPES: dict[str, type | tuple[type, ...]] = {
    "from": dict,
    "chat": dict,
    "text": str,
    "message_id": (str, int),
}


def checked_events(body: Any) -> list[dict[str, Any]]:
    """``events_in``, refusing (``InvalidUpdate``) a body that is no event of the platform: not an
    object or a list of them, or with a member of the wrong type (a ``message`` that is a string)."""
    if not isinstance(body, dict | list):
        raise InvalidUpdate("the body is not a JSON object")
    unwrapped: Any = body
    if isinstance(body, dict) and "event_name" not in body and ("result" in body or "ok" in body):
        unwrapped = body.get("result") if body.get("ok") is True else []
    items = unwrapped if isinstance(unwrapped, list) else [unwrapped]
    for item in items:
        if not isinstance(item, dict):
            raise InvalidUpdate("an event is not a JSON object")
        _check_types(item, _EVENT_TYPES)
        message = item.get("message")
        if isinstance(message, dict):
            _check_types(message, _MESSAGE_TYPES)
    return events_in(body)


def _check_types(value: dict[str, Any], types: dict[str, type | tuple[type, ...]]) -> None:
    for name, kind in types.items():
        if name in value and value[name] is not None and not isinstance(value[name], kind):
            raise InvalidUpdate(f"{name} has the wrong type")


def platform_id(event: dict[str, Any]) -> str:
    """What identifies an event when it is delivered again: its ``message_id``, else a digest of
    the whole event (the same event twice is the same JSON)."""
    message = event.get("message")
    message_id = message.get("message_id") if isinstance(message, dict) else None
    if isinstance(message_id, str | int) and not isinstance(message_id, bool) and str(message_id):
        return str(message_id)
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: a lone surrogate (a forged name) gives a digest too, not an exception
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def to_incoming(event: dict[str, Any]) -> Incoming | None:
    """The neutral message for an event, or None when there is nobody to answer."""
    message = event.get("message")
    if not isinstance(message, dict):
        return None  # e.g. message.unsupported.received from a protected account comes empty
    sender = message.get("from")
    chat = message.get("chat")
    sender = sender if isinstance(sender, dict) else {}
    chat = chat if isinstance(chat, dict) else {}
    user_id = sender.get("id")
    chat_id = chat.get("id", user_id)
    if user_id in (None, "") or chat_id in (None, "") or sender.get("is_bot") is True:
        return None
    if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE":
        return None  # groups are beta on the platform; the bot serves private chats
    incoming = Incoming(
        channel="zalo",
        user_id=str(user_id),
        chat_id=str(chat_id),
        display_name=str(sender.get("display_name") or sender.get("name") or ""),
    )
    text = message.get("text")
    name = str(event.get("event_name") or "")
    if name == TEXT_EVENT or (not name.startswith("message.") and isinstance(text, str)):
        if not isinstance(text, str) or not text.strip():
            return None
        return dataclasses.replace(incoming, text=text)
    # image, sticker, voice, unsupported (e.g. a child's protected account), anything newer
    return dataclasses.replace(incoming, unsupported=True)


# -- the channel ------------------------------------------------------------------------------
class ZaloChannel:
    name = "zalo"
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: Settings,
        router: Router,
        *,
        files: PublicFiles | None = None,
        max_concurrent: int = 16,
    ) -> None:
        if not settings.zalo_token:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        self.settings = settings
        self.router = router
        self.files = files
        self.api = ZaloApi(settings.zalo_token, settings.zalo_base_url)
        self.webhook_url = settings.zalo_webhook_url
        self.webhook_secret = settings.zalo_webhook_secret or ""
        self._limiter = AsyncLimiter(max(1.0, settings.zalo_rate), 1.0)
        self.inbox = Inbox.configured(router.services, self.name, self._handle_stored, max_concurrent)
        self._poller: asyncio.Task[None] | None = None
        self.bot_name = ""
        self.ignored = 0  # events with nobody to answer, not stored

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        me = await self.api.call("getMe")
        if isinstance(me, dict):
            self.bot_name = str(me.get("account_name") or me.get("display_name") or me.get("id") or "")
        await self.inbox.start()  # what was stored before a restart is handled first
        if self.webhook_url:
            await self.api.call("setWebhook", {"url": self.webhook_url, "secret_token": self.webhook_secret})
            log.info("zalo: webhook set for %s", self.bot_name or "the bot")
            return
        try:
            await self.api.call("deleteWebhook")  # polling and a webhook exclude each other
        except ZaloApiError as exc:
            log.info("zalo: deleteWebhook answered %s (continuing with polling)", exc.error_code)
        self._poller = asyncio.create_task(self._poll(), name="zalo-poll")
        log.info("zalo: polling as %s", self.bot_name or "the bot")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.inbox.stop()
        await self.api.close()

    @property
    def processed(self) -> int:
        """Updates handled (and marked so in the inbox) by this process, or ignored: tests read it."""
        return self.inbox.handled + self.ignored

    def healthy(self) -> bool:
        receiving = self.webhook_url is not None or (self._poller is not None and not self._poller.done())
        return receiving and self.inbox.running()

    def endpoint(self, path: str) -> Endpoint | None:
        return Endpoint("zalo", path, SECRET_HEADER, self.webhook_secret, self.receive)

    # -- receiving --------------------------------------------------------------------------
    async def _poll(self) -> None:
        failures = 0
        poll_timeout = self.settings.zalo_poll_timeout
        while True:
            await self.inbox.wait_for_room()
            try:
                result = await self.api.call("getUpdates", {"timeout": poll_timeout}, wait=poll_timeout + 10)
            except ZaloApiError as exc:
                if exc.error_code == EMPTY_POLL:
                    failures = 0
                    continue
                if exc.error_code == 401:
                    log.error("zalo: the API refused ZALO_BOT_TOKEN (401); retrying slowly")
                else:
                    log.warning("zalo: getUpdates failed: %s", exc)
                failures += 1
            except ZaloNetworkError as exc:
                if exc.timed_out:
                    continue  # our own timeout on a long poll: nothing arrived
                log.warning("zalo: getUpdates failed: %s", exc)
                failures += 1
            else:
                failures = 0
                await self._store_polled(result)
                continue
            await asyncio.sleep(POLL_BACKOFF[min(failures, len(POLL_BACKOFF)) - 1])

    async def _store_polled(self, result: Any) -> None:
        """getUpdates consumed the event: only this process holds it now. Keep trying to store it
        through a short database outage before anything else is fetched."""
        for attempt, pause in enumerate((*POLL_BACKOFF, None)):
            try:
                await self.receive(result)
                return
            except InvalidUpdate as exc:
                log.warning("zalo: getUpdates returned something that is no event: %s", exc)
                return
            except Exception as exc:
                if pause is None:
                    log.error("zalo: a polled event could not be stored after %d attempts: lost", attempt + 1)
                    return
                log.warning("zalo: a polled event could not be stored (%s); trying again", type(exc).__name__)
                await asyncio.sleep(pause)

    async def receive(self, body: Any) -> None:
        """Store the events of a poll or a webhook body in the inbox (one transaction); they are
        handled from there. ``InvalidUpdate`` (a webhook answers 400) for a body that is no event."""
        new = []
        for event in checked_events(body):
            incoming = to_incoming(event)
            if incoming is None:
                name = str(event.get("event_name", "?"))[:60]
                log.info("zalo: ignored a %s event with nobody to answer", name)
                self.ignored += 1
                continue
            new.append(NewUpdate(platform_id(event), incoming.key, to_json(event)))
        await self.inbox.add(new)

    async def _handle_stored(self, payload: str) -> None:
        """An event from the inbox (its turn has come: this person's earlier ones are done)."""
        event = json.loads(payload)
        incoming = to_incoming(event) if isinstance(event, dict) else None
        if incoming is None:
            return
        chat_id = incoming.chat_id

        async def send(reply: Reply) -> None:
            try:
                await self.send(chat_id, reply)
            except (ZaloApiError, ZaloNetworkError) as exc:
                log.warning("zalo: a reply was not delivered: %s", exc)

        await self.router.handle(incoming, send)

    # -- sending ----------------------------------------------------------------------------
    async def send(self, chat_id: str, reply: Reply) -> None:
        """An answer to someone who just wrote: wait once if Zalo says the quota is exceeded.
        Raises ``ZaloApiError`` or ``ZaloNetworkError`` when it did not arrive."""
        try:
            await self._post(chat_id, reply)
        except ZaloApiError as exc:
            if exc.error_code != 429:
                raise
            await asyncio.sleep(min(self.settings.zalo_retry_after, REPLY_RETRY_CAP))
            await self._post(chat_id, reply)

    async def _post(self, chat_id: str, reply: Reply, *, outbox: bool = False) -> None:
        limit = self.capabilities.max_text
        text = normalize_nfc(shown(reply, self.capabilities, outbox=outbox).text).strip()
        if reply.photo is not None:
            if self.files is not None and PublicFiles.can_publish(reply.photo):
                payload: dict[str, Any] = {"chat_id": chat_id, "photo": self.files.publish(reply.photo)}
                if text and self.capabilities.length(text) <= limit:
                    payload["caption"], text = text, ""
                await self._call("sendPhoto", payload)
            else:
                text = _join(
                    text, _("(There is a picture here that Zalo cannot show. Please ask your officer.)")
                )
        if reply.document is not None:
            text = _join(
                text,
                _("(The file “{name}” cannot be sent on Zalo. Please ask your officer for it.)").format(
                    name=reply.document.filename
                ),
            )
        if not text:
            return
        for chunk in self.capabilities.parts(text):
            await self._call("sendMessage", {"chat_id": chat_id, "text": chunk})

    async def _call(self, method: str, payload: dict[str, Any]) -> Any:
        async with self._limiter:
            return await self.api.call(method, payload)

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """The delivery worker's send: platform errors become ``bot.delivery.errors``."""
        try:
            await self._post(chat_id, reply, outbox=True)
        except ZaloNetworkError as exc:
            raise TemporaryFailure(str(exc)) from None
        except ZaloApiError as exc:
            raise delivery_error(exc, self.settings.zalo_retry_after) from None

    async def post_status(self, chat_id: str, text: str) -> str | None:
        """Zalo cannot edit a message: a new one at every step would bury the conversation, so the
        person gets no progress line (the final report still comes through the outbox)."""
        return None

    async def edit_status(self, chat_id: str, ref: str, text: str) -> None:
        return None


def delivery_error(exc: ZaloApiError, retry_after: float) -> Exception:
    code = exc.error_code or 0
    if code == 429:
        return RetryAfter(retry_after, f"zalo: {exc.description}")
    if code == 403:
        return Unreachable(f"zalo: {exc.description}")
    if code >= 500 or code in (401, 408):
        # 401: our token was revoked or mistyped; retrying lets messages survive the fix.
        return TemporaryFailure(str(exc))
    return PermanentFailure(str(exc))


def _join(text: str, note: str) -> str:
    return f"{text}\n\n{note}" if text else note
