"""The terminal chat: the same conversations, typed at a prompt (for trying the bot out).

A terminal shows no pictures or files: each one the bot sends (a chart, an Excel or CSV report,
an announcement's picture) is saved under ``files_dir`` and its path printed, so it can be opened
from there. Several people may chat from several terminals on one database, but the delivery worker
of whichever terminal runs sends the outbox: a message for someone else is printed as such, framed
and addressed, never as if it were an answer to the person at the prompt.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot import i18n
from bot.channels.base import Capabilities, shown
from bot.i18n import _
from bot.model import Attachment, Incoming, Reply
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
        files_dir: Path | None = None,
    ) -> None:
        self.router = router
        self.user_id = user_id
        self.display_name = display_name or user_id
        self.language = language
        self.read_line = read_line
        self.write = write
        self.files_dir = files_dir
        self.saved: list[Path] = []  # every file saved, in order (tests read it)
        # Held while the bot answers what was typed: what the outbox delivers meanwhile (the
        # announcement just sent, its progress) is printed after the answer, not in the middle.
        self._answering = asyncio.Lock()

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

    def _show(self, reply: Reply, *, outbox: bool, prefix: str = "bot> ", margin: str = "     ") -> None:
        text = shown(reply, self.capabilities, outbox=outbox).text
        self.write(prefix + text.replace("\n", "\n" + margin))
        for kind, attachment in ((_("picture"), reply.photo), (_("file"), reply.document)):
            if attachment is not None:
                self.write(margin + self._saved_line(kind, attachment))

    def _saved_line(self, kind: str, attachment: Attachment) -> str:
        if self.files_dir is None:
            return f"[{kind}: {attachment.filename}]"
        path = self.save(attachment)
        return _("📎 {kind} saved: {path} ({size})").format(
            kind=kind, path=_shown_path(path), size=_size(len(attachment.data))
        )

    def save(self, attachment: Attachment) -> Path:
        """Write a file the bot sent under ``files_dir``; the same name with other contents gets
        a number (``report-2.xlsx``), the same file again is not written twice."""
        assert self.files_dir is not None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        name = _safe_name(attachment.filename)
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        digest = hashlib.sha256(attachment.data).digest()
        number = 1
        while True:
            candidate = self.files_dir / (name if number == 1 else f"{stem}-{number}{dot}{suffix}")
            if not candidate.exists():
                candidate.write_bytes(attachment.data)
                break
            if hashlib.sha256(candidate.read_bytes()).digest() == digest:
                break
            number += 1
        self.saved.append(candidate)
        return candidate

    async def send(self, chat_id: str, reply: Reply) -> None:
        """A reply to the person at the prompt."""
        self._show(reply, outbox=False)

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Messages from the outbox: to the person at the prompt as usual; to anyone else framed
        and addressed, since in a real chat only they would see it."""
        async with self._answering:
            self._print_delivered(chat_id, reply)

    def _print_delivered(self, chat_id: str, reply: Reply) -> None:
        if chat_id == self.user_id:
            self._show(reply, outbox=True)
            return
        self.write(
            "📨 "
            + _("Message for {person}, not for you (they would see it in their own chat):").format(
                person=f"console:{chat_id}"
            )
        )
        self._show(reply, outbox=True, prefix="   │ ", margin="   │ ")
        self.write("   └──")

    async def post_status(self, chat_id: str, text: str) -> str | None:
        """A progress line (a terminal cannot edit what it printed, so each update is a new line)."""
        async with self._answering:
            self.write(f"     … {text}")
        return chat_id

    async def edit_status(self, chat_id: str, ref: str, text: str) -> None:
        async with self._answering:
            self.write(f"     … {text}")

    async def send_text(self, text: str) -> None:
        async def answer(reply: Reply) -> None:
            await self.send(self.user_id, reply)

        async with self._answering:
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


def _safe_name(filename: str) -> str:
    """A plain file name: no folders, nothing a shell or a file manager would trip on."""
    name = re.sub(r"[^\w.\-]+", "_", os.path.basename(filename), flags=re.ASCII).strip("._")
    return name or "file"


def _shown_path(path: Path) -> str:
    """The path as short as it can be said from the folder the terminal runs in."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _size(size: int) -> str:
    if size < 1024:
        return _("{n} bytes").format(n=i18n.fmt_number(size))
    return _("{n} KB").format(n=i18n.fmt_number(round(size / 1024)))
