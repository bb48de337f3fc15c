"""A bare python-telegram-bot echo bot in webhook mode: the yardstick for bench/processes.py.

    .venv/bin/python bench/echo_bot.py BASE_URL TOKEN PORT SECRET

No database, no router, no rate limiter: PTB's own webhook server (tornado), 16 updates at a
time as our bot handles them, and one MessageHandler that answers every text with the same
text. What a bot on this machine costs before it does anything of its own.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main() -> None:
    base_url, token, port, secret = sys.argv[1:5]
    app = Application.builder().token(token).base_url(base_url).concurrent_updates(16).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_webhook(
        listen="127.0.0.1",
        port=int(port),
        url_path="telegram",
        secret_token=secret,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        drop_pending_updates=True,
    )


if __name__ == "__main__":
    main()
