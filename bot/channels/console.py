"""The terminal chat: the same conversations, typed at a prompt (for trying the bot out)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.channels.base import Capabilities, shown
from bot.model import Incoming, Reply
from bot.router import Router

if TYPE_CHECKING:
    from bot.channels.webhook import Endpoint

CAPABILITIES = Capabilities(buttons=False, max_text=100_000, html=False)
QUIT_WORDS = frozenset({"/quit", "/exit", "/thoat"})

ReadLine = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]


async def stdin_line() -> str | None:
    if sys.stdin.isatty():
        print("you> ", end="", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return line.rstrip("\n") if line else None


def stdout_write(text: str) -> None:
    print(text, flush=True)


class ConsoleChannel:
    name = "console"
    capabilities = CAPABILITIES

    def __init__(
        self,
        router: Router,
        user_id: str,
        display_name: str = "",
        language: str | None = None,
        read_line: ReadLine = stdin_line,
        write: Write = stdout_write,
    ) -> None:
        self.router = router
        self.user_id = user_id
        self.display_name = display_name or user_id
        self.language = language
        self.read_line = read_line
        self.write = write

    def incoming(self, text: str) -> Incoming:
        return Incoming(
            channel=self.name,
            user_id=self.user_id,
            chat_id=self.user_id,
            text=text,
            display_name=self.display_name,
            language=self.language,
        )

    # -- the channel protocol: nothing to start, always healthy, no webhook ---------------------
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def healthy(self) -> bool:
        return True

    def endpoint(self, path: str) -> Endpoint | None:
        return None

    def _show(self, reply: Reply, *, outbox: bool) -> None:
        text = shown(reply, self.capabilities, outbox=outbox).text
        self.write("bot> " + text.replace("\n", "\n     "))
        if reply.photo is not None:
            self.write(f"     [photo: {reply.photo.filename}]")
        if reply.document is not None:
            self.write(f"     [document: {reply.document.filename}]")

    async def send(self, chat_id: str, reply: Reply) -> None:
        """A reply to the person at the prompt."""
        self._show(reply, outbox=False)

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Messages from the outbox: to this person as usual, to others with their name shown."""
        if chat_id != self.user_id:
            self.write(f"📨 [to console:{chat_id}]")
        self._show(reply, outbox=True)

    async def post_status(self, chat_id: str, text: str) -> str | None:
        """A progress line (a terminal cannot edit what it printed, so each update is a new line)."""
        self.write(f"     … {text}")
        return chat_id

    async def edit_status(self, chat_id: str, ref: str, text: str) -> None:
        self.write(f"     … {text}")

    async def send_text(self, text: str) -> None:
        async def answer(reply: Reply) -> None:
            await self.send(self.user_id, reply)

        await self.router.handle(self.incoming(text), answer)

    async def run(self, first_message: str | None = "/start") -> None:
        """Read lines until end of input or /quit."""
        if first_message:
            await self.send_text(first_message)
        while True:
            line = await self.read_line()
            if line is None or line.strip().lower() in QUIT_WORDS:
                break
            if not line.strip():
                continue
            await self.send_text(line)
