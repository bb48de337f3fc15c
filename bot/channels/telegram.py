"""Telegram through python-telegram-bot: updates → ``Incoming``, ``Reply`` → Bot API calls."""

from __future__ import annotations

import logging

from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import i18n
from bot.channels.base import Capabilities, split_text
from bot.config import Settings
from bot.model import Incoming, Reply
from bot.router import Router
from bot.services import Services
from bot.text import normalize_nfc

log = logging.getLogger(__name__)

CAPABILITIES = Capabilities(buttons=True, max_text=4096, html=True)
CAPTION_LIMIT = 1024


def to_incoming(update: Update) -> Incoming | None:
    """The neutral message for an update, or None for updates we do not handle."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    if chat.type != "private":
        return None  # the bot serves private chats only
    common = {
        "channel": "telegram",
        "user_id": str(user.id),
        "chat_id": str(chat.id),
        "display_name": user.full_name or "",
        "language": user.language_code,
    }
    if update.callback_query is not None:
        return Incoming(payload=update.callback_query.data or "", **common)
    message = update.message
    if message is None:
        return None
    if message.text is None:
        return Incoming(unsupported=True, **common)
    return Incoming(text=message.text, **common)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in reply.buttons]
    )


class TelegramChannel:
    name = "telegram"

    def __init__(self, settings: Settings, router: Router, services: Services) -> None:
        if not settings.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.router = router
        self.services = services
        self.app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_base_url)
            .rate_limiter(AIORateLimiter(max_retries=2))
            .concurrent_updates(16)
            .post_init(self._post_init)
            .build()
        )
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)

    async def _post_init(self, app: Application) -> None:  # type: ignore[type-arg]
        username = app.bot.username
        self.services.deep_links[self.name] = f"https://t.me/{username}?start={{code}}"
        for language in i18n.LANGUAGES:
            with i18n.use(language):
                commands = [
                    BotCommand(name, description[:256]) for name, description in self.router.menu_commands()
                ]
            code = None if language == i18n.DEFAULT_LANGUAGE else language
            await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)

    async def _on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        incoming = to_incoming(update)
        if incoming is None:
            return
        chat_id = incoming.chat_id

        async def send(reply: Reply) -> None:
            await self.send(chat_id, reply)

        # The router's lock is the first thing awaited, so one person's updates keep their order.
        await self.router.handle(incoming, send)
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as exc:  # an old button: answering is a courtesy only
                log.debug("answerCallbackQuery failed: %s", exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, Forbidden):
            log.info("telegram: a person blocked the bot")
            return
        kind = type(update).__name__ if update is not None else "none"
        log.error("telegram: error while handling an update (%s): %r", kind, error)

    async def send(self, chat_id: str | int, reply: Reply) -> None:
        bot = self.app.bot
        markup = keyboard(reply)
        text = normalize_nfc(reply.text)
        if reply.photo is not None:
            caption = text if len(text) <= CAPTION_LIMIT else None
            await bot.send_photo(
                chat_id,
                InputFile(reply.photo.data, filename=reply.photo.filename),
                caption=caption,
                parse_mode=ParseMode.HTML if caption else None,
                reply_markup=markup if caption else None,
            )
            if caption is not None:
                return
        if reply.document is not None:
            await bot.send_document(chat_id, InputFile(reply.document.data, filename=reply.document.filename))
        if not text:
            return
        chunks = split_text(text, CAPABILITIES.max_text)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await bot.send_message(
                chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=markup if last else None
            )

    async def start(self) -> None:
        await self.app.initialize()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(allowed_updates=["message", "callback_query"])
        log.info("telegram: polling as @%s", self.app.bot.username)

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
