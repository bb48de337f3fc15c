"""What every channel is and shares: the ``Channel`` protocol, capabilities as data, how a reply's
choices are shown for given capabilities, and splitting text at a platform's limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.model import Button, Reply
from bot.text import strip_html

if TYPE_CHECKING:
    from bot.channels.webhook import Endpoint


def utf16_units(text: str) -> int:
    """The length as a platform counting UTF-16 code units sees it: an emoji such as 📢 is two."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class StartError(Exception):
    """A channel or the server could not start; the message is one line for the operator, naming
    what to fix."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    buttons: bool  # inline buttons under a message; otherwise choices are written out as text
    max_text: int  # per message, as ``length`` counts
    html: bool  # Telegram's HTML subset; otherwise plain text
    utf16: bool = False  # the limit counts UTF-16 code units (Zalo), not code points

    def length(self, text: str) -> int:
        return utf16_units(text) if self.utf16 else len(text)

    def parts(self, text: str) -> list[str]:
        """``text`` cut into messages of at most ``max_text``, markup kept valid in each."""
        if self.html:
            return split_html(text, self.max_text)
        return split_text(text, self.max_text, self.length)


class Channel(Protocol):
    """One platform, as the kernel sees it. Implemented by Telegram, Zalo and the terminal.

    ``send`` answers the person who just wrote: at once, never paced behind bulk sends; its errors
    are the platform's own and stay inside the adapter. ``deliver`` is the delivery worker's send
    for the outbox and raises ``bot.delivery.errors`` so that the worker can decide without
    knowing the platform. Both show choices as ``shown`` decides for the channel's capabilities.
    """

    name: str
    capabilities: Capabilities

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send(self, chat_id: str, reply: Reply) -> None: ...
    async def deliver(self, chat_id: str, reply: Reply) -> None: ...

    async def post_status(self, chat_id: str, text: str) -> str | None:
        """Post a status line the bot will keep current (a broadcast's progress) and return its
        reference for ``edit_status``; None when this channel keeps no status lines."""
        ...

    async def edit_status(self, chat_id: str, ref: str, text: str) -> None:
        """Show the new text of a status line: edited in place where the platform can, else a new line."""
        ...

    def healthy(self) -> bool: ...

    def endpoint(self, path: str) -> Endpoint | None:
        """The webhook this channel answers at ``path``; None for a channel that takes none."""
        ...


# -- choices ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Shown:
    """A reply as a channel shows it: the text to send and the rows of buttons to put under it."""

    text: str
    keyboard: tuple[tuple[Button, ...], ...] = ()


def shown(reply: Reply, capabilities: Capabilities, *, outbox: bool = False) -> Shown:
    """How a reply and its choices are shown on a channel — the one place that decides.

    - Where there are buttons (Telegram), the choices are a keyboard, rows as the feature laid
      them out; a tap sends the button's payload, whatever the person is doing.
    - Where there are none (Zalo, the terminal), they are a numbered list after the text. The
      router maps a typed number, or the words of a label, back onto the last choices it showed,
      numbered in the order of ``Reply.flat_buttons``: the numbers here follow that order.
    - A message from the outbox (announcement, reminder, an officer's answer) is shown while the
      person may be in the middle of something else, and a number typed then answers *that*
      conversation, not this message. So without buttons its choices are bullets, not numbers;
      their texts name the command to type instead.
    - Markup is kept only where the channel reads it (``html``).
    """
    text = reply.text if capabilities.html else strip_html(reply.text)
    if capabilities.buttons:
        return Shown(text, reply.buttons)
    buttons = reply.flat_buttons
    if not buttons:
        return Shown(text)
    lines = [text, ""]
    lines += [f"  • {b.label}" if outbox else f"  {i}. {b.label}" for i, b in enumerate(buttons, 1)]
    return Shown("\n".join(lines))


PLAIN = Capabilities(buttons=False, max_text=100_000, html=False)


def plain_text(reply: Reply, numbered: bool = True) -> str:
    """The reply as plain text with its choices written out (numbered, or bullets for the outbox)."""
    return shown(reply, PLAIN, outbox=not numbered).text


# -- splitting --------------------------------------------------------------------------------------
def _window(text: str, limit: int, length: Callable[[str], int]) -> str:
    """The longest start of ``text`` that ``length`` measures at most ``limit``."""
    window = text[:limit]  # every measure counts a character as one unit or more
    while (excess := length(window) - limit) > 0:
        window = window[: len(window) - excess]
    return window


def split_text(text: str, limit: int, length: Callable[[str], int] = len) -> list[str]:
    """Split at paragraph, then line, then word boundaries so no chunk exceeds ``limit`` as
    ``length`` measures it (code points by default; ``utf16_units`` for Zalo)."""
    if length(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while length(rest) > limit:
        window = _window(rest, limit, length)
        size = len(window)
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < size // 2:
            cut = window.rfind(" ")
        if cut < size // 2:
            cut = size
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest:
        chunks.append(rest)
    return chunks


_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>")
_TAG_SPACES = re.compile(r"<[^<>]*>")
_PARTIAL_END = re.compile(r"(<[^<>]*|&#?\w*)$")  # a tag or an entity cut in two
_HTML_RESERVE = 512  # room for the tags closed at the end of a part and opened again after it
_KEEP_SPACE = "\x00"


def split_html(text: str, limit: int) -> list[str]:
    """Split Telegram HTML into parts that are each valid: tags open at a cut are closed at the
    end of the part and opened again at the start of the next. Cuts fall on paragraph, line or
    word boundaries (``split_text``), never inside a tag or an entity."""
    if len(text) <= limit:
        return [text]
    # Spaces inside tags (<a href=…>) must not be taken for word boundaries.
    protected = _TAG_SPACES.sub(lambda m: m.group(0).replace(" ", _KEEP_SPACE), text)
    pieces = split_text(protected, limit - _HTML_RESERVE)
    for i in range(len(pieces) - 1):  # a hard cut may still split a tag or an entity
        partial = _PARTIAL_END.search(pieces[i])
        if partial is not None and partial.group(0):
            pieces[i], pieces[i + 1] = pieces[i][: partial.start()], partial.group(0) + pieces[i + 1]
    parts: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, opening tag) still open at the end of a piece
    for piece in (p.replace(_KEEP_SPACE, " ") for p in pieces if p):
        reopened = "".join(tag for _name, tag in open_tags)
        for match in _TAG.finditer(piece):
            closing, name = match.group(1) == "/", match.group(2).lower()
            if not closing:
                open_tags.append((name, match.group(0)))
            elif open_tags and open_tags[-1][0] == name:
                open_tags.pop()
        closed = "".join(f"</{name}>" for name, _tag in reversed(open_tags))
        parts.append(reopened + piece + closed)
    return parts
