"""Telegram through python-telegram-bot: updates → ``Incoming``, ``Reply`` → Bot API calls.

Two ways to receive, both through the inbox (``bot.inbox``): long polling (the default) by a
small loop of our own instead of PTB's Updater, which confirms updates to Telegram (the next
offset) before anything has handled them — here each batch is stored in one transaction first,
then the next offset asked for; or a webhook when ``TELEGRAM_WEBHOOK_URL`` is set — our own
server (``bot.channels.webhook``) checks the secret token header, this channel stores the update
and the server answers 200. Stored updates come back to ``_handle_stored``, one person's in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import warnings
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.error import RetryAfter as TelegramRetryAfter
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot import i18n
from bot.channels.base import Capabilities, Shown, StartError, shown
from bot.channels.webhook import Endpoint, InvalidUpdate
from bot.config import Settings
from bot.delivery.errors import Ambiguous, PermanentFailure, RetryAfter, TemporaryFailure, Unreachable
from bot.inbox import Inbox
from bot.model import Attachment, Incoming, Reply
from bot.router import Router
from bot.services import Services
from bot.text import normalize_nfc, to_json
from storage.inbox import NewUpdate

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(buttons=True, max_text=4096, html=True)
CAPTION_LIMIT = 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
REPLY_RETRY_CAP = 10.0  # a reply waits at most this long after a 429 before giving up
POLL_TIMEOUT = 10  # seconds a getUpdates long poll may wait (PTB's Updater used the same)
POLL_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds between failed polls


# Stands for a picture not downloaded yet; the channel replaces it with the bytes.
PENDING_PHOTO = Attachment("photo.jpg", b"", "image/jpeg")
PHOTO_LIMIT = 5 * 1024 * 1024  # bytes: plenty for a phone photo Telegram has already compressed


def file_url(base_url: str) -> str:
    """Where files are downloaded: https://api.telegram.org/file/bot for …/bot (and alike)."""
    head, sep, _tail = base_url.rpartition("/bot")
    return f"{head}/file/bot" if sep else base_url


def to_incoming(update: Update) -> Incoming | None:
    """The neutral message for an update, or None for updates we do not handle."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    if chat.type != "private":
        return None  # the bot serves private chats only
    incoming = Incoming(
        channel="telegram",
        user_id=str(user.id),
        chat_id=str(chat.id),
        display_name=user.full_name or "",
        language=user.language_code,
    )
    if update.callback_query is not None:
        return dataclasses.replace(incoming, payload=update.callback_query.data or "")
    message = update.message
    if message is None:
        return None
    if message.photo:
        # The picture itself is fetched by the channel (it takes a request); the caption is text.
        return dataclasses.replace(incoming, text=message.caption, photo=PENDING_PHOTO)
    if message.text is None:
        return dataclasses.replace(incoming, unsupported=True)
    return dataclasses.replace(incoming, text=message.text)


def parse_update(data: Any, bot: Bot) -> Update:
    """A webhook body as an update, or ``InvalidUpdate``: an object with a numeric ``update_id``
    whose other members are objects (every kind of update is one), which PTB can read and whose
    fields the bot uses have the right shapes."""
    if not isinstance(data, dict):
        raise InvalidUpdate("the body is not a JSON object")
    update_id = data.get("update_id")
    if type(update_id) is not int or update_id < 0:
        raise InvalidUpdate("update_id is missing or not a number")
    for kind, value in data.items():
        if kind != "update_id" and not isinstance(value, dict):
            raise InvalidUpdate(f"{str(kind)[:40]!r} is not an object")
    try:
        update = Update.de_json(data, bot)
        to_incoming(update)
    except Exception as exc:  # whatever PTB or our reading trips on: the body is no update
        raise InvalidUpdate(f"not an update ({type(exc).__name__})") from None
    return update


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The inline keyboard under a reply (``bot.channels.base.shown`` decides what it holds)."""
    return markup(shown(reply, CAPABILITIES))


def markup(message: Shown) -> InlineKeyboardMarkup | None:
    if not message.keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in message.keyboard]
    )


class TelegramChannel:
    name = "telegram"
    capabilities = CAPABILITIES

    def __init__(self, settings: Settings, router: Router, services: Services) -> None:
        if not settings.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.router = router
        self.services = services
        self.webhook_url = settings.telegram_webhook_url
        self.webhook_secret = settings.telegram_webhook_secret or ""
        self.ignored = 0  # updates with nobody to answer, not stored
        self._photo_ids: dict[str, str] = {}  # sha256 of a picture → Telegram's file_id for it (bounded)
        self._menu_tasks: set[asyncio.Task[bool]] = set()
        # PTB for its Bot (requests, rate limiter) only: receiving is ours (the inbox).
        self.app: Application = (
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_base_url)
            .base_file_url(file_url(settings.telegram_base_url))
            # No retries inside PTB: replies retry once below, the delivery worker has its own policy.
            .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_rate, max_retries=0))
            .updater(None)
            .build()
        )
        self.inbox = Inbox.configured(services, self.name, self._handle_stored)
        self._poller: asyncio.Task[None] | None = None
        self._offset: int | None = None  # the next getUpdates offset: confirms what is stored
        self._started = False

    async def _post_init(self, app: Application) -> None:
        username = app.bot.username
        self.services.deep_links.set(self.name, f"https://t.me/{username}?start={{code}}")
        for language in i18n.LANGUAGES:
            with i18n.use(language):
                commands = [
                    BotCommand(name, description[:256]) for name, description in self.router.menu_commands()
                ]
            code = None if language == i18n.DEFAULT_LANGUAGE else language
            await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)

    def set_chat_menu(self, chat_id: str, commands: list[tuple[str, str]] | None) -> None:
        """An officer's own command menu in their chat (None: back to the default one); sent in
        the background, so that a menu never holds up a reply (``bot.services.ChatMenus``)."""
        scope = BotCommandScopeChat(int(chat_id))
        if commands is None:
            call = self.app.bot.delete_my_commands(scope=scope)
        else:
            menu = [BotCommand(name, description[:256]) for name, description in commands]
            call = self.app.bot.set_my_commands(menu, scope=scope)
        task = asyncio.get_running_loop().create_task(call)
        self._menu_tasks.add(task)
        task.add_done_callback(self._menu_set)

    def _menu_set(self, task: asyncio.Task[bool]) -> None:
        self._menu_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.info("telegram: a chat's command menu was not set: %s", task.exception())

    async def _handle_stored(self, payload: str) -> None:
        """An update from the inbox (its turn has come: this person's earlier ones are done)."""
        try:
            update = Update.de_json(json.loads(payload), self.app.bot)
            await self._handle(update)
        except Forbidden:
            log.info("telegram: a person blocked the bot")

    async def _handle(self, update: Update) -> None:
        incoming = to_incoming(update)
        if incoming is None:
            return
        if incoming.photo is PENDING_PHOTO:
            incoming = await self._with_photo(incoming, update)
        chat_id = incoming.chat_id

        query = update.callback_query

        async def send(reply: Reply) -> None:
            if reply.replace and query is not None and await self._replace(query, reply):
                return
            await self.send(chat_id, reply)

        # The router's lock is the first thing awaited, so one person's updates keep their order.
        await self.router.handle(incoming, send)
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as exc:  # an old button: answering is a courtesy only
                log.debug("answerCallbackQuery failed: %s", exc)

    async def _with_photo(self, incoming: Incoming, update: Update) -> Incoming:
        """Download the largest size of a picture the person sent (or treat it as unreadable)."""
        sizes = update.message.photo if update.message is not None else ()
        best = max(sizes, key=lambda p: p.width * p.height) if sizes else None
        if best is None or (best.file_size or 0) > PHOTO_LIMIT:
            return dataclasses.replace(incoming, photo=None, unsupported=True)
        try:
            file = await best.get_file()
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.info("telegram: could not fetch a picture: %s", exc)
            return dataclasses.replace(incoming, photo=None, unsupported=True)
        return dataclasses.replace(
            incoming, photo=Attachment(f"{best.file_unique_id}.jpg", data, "image/jpeg")
        )

    async def _replace(self, query: CallbackQuery, reply: Reply) -> bool:
        """Edit the message whose button was pressed; False when it cannot be (then send anew)."""
        message = shown(reply, self.capabilities)
        too_long = len(message.text) > self.capabilities.max_text
        if query.message is None or reply.photo or reply.document or too_long:
            return False
        try:
            await query.edit_message_text(
                normalize_nfc(message.text), parse_mode=ParseMode.HTML, reply_markup=markup(message)
            )
        except TelegramError as exc:  # too old, deleted, or unchanged: a new message will do
            log.debug("telegram: could not edit in place: %s", exc)
            return False
        return True

    async def send(self, chat_id: str, reply: Reply) -> None:
        """An answer to someone who just wrote: wait once if Telegram asks for a short pause."""
        message = shown(reply, self.capabilities)
        try:
            await self._post(chat_id, message, reply)
        except TelegramRetryAfter as exc:
            seconds = retry_seconds(exc)
            if seconds > REPLY_RETRY_CAP:
                raise
            await asyncio.sleep(seconds)
            await self._post(chat_id, message, reply)

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """The delivery worker's send: platform errors become ``bot.delivery.errors``."""
        try:
            await self._post(chat_id, shown(reply, self.capabilities, outbox=True), reply)
        except TelegramError as exc:
            raise delivery_error(exc) from None

    async def post_status(self, chat_id: str, text: str) -> str | None:
        """A status message the bot keeps current (a broadcast's progress); returns its id."""
        message = await self.app.bot.send_message(chat_id, normalize_nfc(text), parse_mode=ParseMode.HTML)
        return str(message.message_id)

    async def edit_status(self, chat_id: str, ref: str, text: str) -> None:
        await self.app.bot.edit_message_text(
            normalize_nfc(text), chat_id=chat_id, message_id=int(ref), parse_mode=ParseMode.HTML
        )

    async def _post(self, chat_id: str, message: Shown, reply: Reply) -> None:
        """Photo, document, then text; the buttons go on the last message, under what they refer to."""
        bot = self.app.bot
        keys = markup(message)
        text = normalize_nfc(message.text).strip()
        if reply.photo is not None:
            caption = text if text and len(text) <= CAPTION_LIMIT else None
            if caption is not None:
                text = ""
            # A broadcast sends one picture to thousands: upload it once, then reuse Telegram's id.
            key = hashlib.sha256(reply.photo.data).hexdigest()
            sent = await bot.send_photo(
                chat_id,
                self._photo_ids.get(key) or InputFile(reply.photo.data, filename=reply.photo.filename),
                caption=caption,
                parse_mode=ParseMode.HTML if caption else None,
                reply_markup=keys if not text and reply.document is None else None,
            )
            if key not in self._photo_ids and sent.photo:
                if len(self._photo_ids) > 256:
                    self._photo_ids.clear()
                self._photo_ids[key] = sent.photo[-1].file_id
                if len(self._photo_ids) > 256:  # pictures of announcements: a few; never without bound
                    self._photo_ids.pop(next(iter(self._photo_ids)))
        if reply.document is not None:
            await bot.send_document(
                chat_id,
                InputFile(reply.document.data, filename=reply.document.filename),
                reply_markup=keys if not text else None,
            )
        if not text:
            return
        chunks = self.capabilities.parts(text)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await bot.send_message(
                chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=keys if last else None
            )

    @property
    def processed(self) -> int:
        """Updates handled (and marked so in the inbox) by this process, or ignored: tests read it."""
        return self.inbox.handled + self.ignored

    def healthy(self) -> bool:
        receiving = self.webhook_url is not None or (self._poller is not None and not self._poller.done())
        return self._started and receiving and self.inbox.running()

    def endpoint(self, path: str) -> Endpoint | None:
        return Endpoint("telegram", path, SECRET_HEADER, self.webhook_secret, self.receive)

    async def receive(self, data: Any) -> None:
        """An update posted to our webhook (its secret already checked): stored in the inbox, and
        only then answered 200. ``InvalidUpdate`` (answered 400) for a body that is no update."""
        update = parse_update(data, self.app.bot)
        await self._store([update], [to_json(data)])

    async def _store(self, updates: list[Update], payloads: list[str]) -> None:
        """Store updates (one transaction); those with nobody to answer are not kept."""
        new = []
        for update, payload in zip(updates, payloads, strict=True):
            try:
                incoming = to_incoming(update)
            except Exception:  # never let one odd update hold up the whole batch for ever
                log.exception("telegram: update %s cannot be read; it is skipped", update.update_id)
                incoming = None
            if incoming is None:
                self.ignored += 1  # a group, a bot, a kind we do not handle: nothing to do
                continue
            new.append(NewUpdate(str(update.update_id), incoming.key, payload))
        await self.inbox.add(new)

    # -- polling ------------------------------------------------------------------------------
    async def _poll(self) -> None:
        """Fetch a batch, store it, and only then confirm it by asking for the next offset."""
        bot = self.app.bot
        failures = 0
        while True:
            await self.inbox.wait_for_room()
            try:
                updates = await bot.get_updates(
                    offset=self._offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
                )
                if updates:
                    await self._store(list(updates), [u.to_json() for u in updates])
                    self._offset = updates[-1].update_id + 1
                failures = 0
                continue
            except TimedOut:
                continue  # a long poll that took longer than we waited: nothing was lost
            except TelegramRetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except InvalidToken:
                log.error("telegram: the Bot API refused TELEGRAM_BOT_TOKEN; retrying slowly")
            except Conflict as exc:
                log.warning("telegram: getUpdates conflicts with another poller or a webhook: %s", exc)
            except TelegramError as exc:
                log.warning("telegram: getUpdates failed: %s", exc.message)
            except Exception:
                # Not stored (the database failed): the same updates come again with the same offset.
                log.exception("telegram: fetched updates could not be stored")
            failures += 1
            await asyncio.sleep(POLL_BACKOFF[min(failures, len(POLL_BACKOFF)) - 1])

    async def start(self) -> None:
        try:
            await self.app.initialize()  # getMe: the one call whose 401/404 means a wrong token
        except InvalidToken:
            raise StartError(
                "Telegram refused TELEGRAM_BOT_TOKEN (getMe): check the token BotFather gave you"
            ) from None
        except TelegramError as exc:
            raise StartError(
                f"Telegram Bot API error on getMe: {exc}; check TELEGRAM_BASE_URL and the network"
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StartError(
                f"the Bot API at TELEGRAM_BASE_URL answered getMe with something that is not a bot "
                f"({type(exc).__name__}); check TELEGRAM_BASE_URL"
            ) from None
        try:
            await self._post_init(self.app)  # command menu, deep links
        except TelegramError as exc:  # a menu is a convenience: the bot works without it
            log.warning("telegram: the command menu was not set (%s); the bot runs without it", _why(exc))
        await self.inbox.start()  # what was stored before a restart is handled first
        self._started = True
        if self.webhook_url:
            await self._required(
                "setWebhook",
                self.app.bot.set_webhook(
                    self.webhook_url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES
                ),
                "check TELEGRAM_WEBHOOK_URL (a public HTTPS URL on port 443, 80, 88 or 8443)",
            )
            log.info("telegram: webhook set for @%s", self.app.bot.username)
            return
        # Polling and a webhook exclude each other.
        await self._required("deleteWebhook", self.app.bot.delete_webhook(), "check TELEGRAM_BASE_URL")
        self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
        log.info("telegram: polling as @%s", self.app.bot.username)

    @staticmethod
    async def _required(method: str, call: Awaitable[object], hint: str) -> None:
        """A start-up call the bot cannot run without: its failure is one line naming the call (a
        404 here is a wrong URL, not a wrong token: getMe has already accepted the token)."""
        try:
            await call
        except TelegramError as exc:
            raise StartError(f"Telegram Bot API error on {method}: {_why(exc)}; {hint}") from None

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
            if self._offset is not None:
                # Confirm what is stored, so that the next start is not sent it again (it would be
                # recognised, but need not travel). What this answers is not confirmed: not lost.
                try:
                    await self.app.bot.get_updates(offset=self._offset, timeout=0, limit=1)
                except TelegramError as exc:
                    log.debug("telegram: the last confirmation failed: %s", exc)
        self._started = False
        await self.inbox.stop()
        await self.app.shutdown()


def _why(exc: TelegramError) -> str:
    """PTB maps HTTP 401 and 404 to InvalidToken; after getMe has succeeded a 404 is a wrong URL."""
    if isinstance(exc, InvalidToken):
        return "not found (404) or not authorised (401)"
    return str(exc) or type(exc).__name__


def retry_seconds(exc: TelegramRetryAfter) -> float:
    """Seconds to wait, whether PTB gives them as an int or a timedelta."""
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# httpx errors after the request was written: the server may have acted on it.
_MAYBE_DELIVERED = frozenset({"ReadTimeout", "ReadError", "RemoteProtocolError"})


def delivery_error(exc: TelegramError) -> Exception:
    """Telegram's errors in the delivery worker's terms. Subclasses are tested before their bases:
    BadRequest and TimedOut are NetworkErrors."""
    if isinstance(exc, TelegramRetryAfter):
        return RetryAfter(retry_seconds(exc), "telegram: flood control")
    if isinstance(exc, Forbidden):
        return Unreachable(f"telegram: {exc.message}")
    if isinstance(exc, BadRequest):
        if "chat not found" in exc.message.lower() or "user not found" in exc.message.lower():
            return Unreachable(f"telegram: {exc.message}")
        return PermanentFailure(f"telegram: {exc.message}")
    cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
    if isinstance(exc, NetworkError) and cause in _MAYBE_DELIVERED:
        # The request went out and no answer came back: Telegram may have delivered it.
        return Ambiguous(f"telegram: no answer ({cause}); it may have arrived")
    if isinstance(exc, TimedOut):  # could not connect, or no free connection: nothing was sent
        return TemporaryFailure(f"telegram: timed out: {exc.message}")
    if isinstance(exc, NetworkError):  # could not connect, and 5xx answers
        return TemporaryFailure(f"telegram: {exc.message}")
    return TemporaryFailure(f"telegram: {type(exc).__name__}: {exc.message}")
