"""What channels share: capabilities as data, text splitting, plain-text rendering of choices."""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Reply
from bot.text import strip_html


@dataclass(frozen=True, slots=True)
class Capabilities:
    buttons: bool  # inline buttons; otherwise choices are a numbered list
    max_text: int  # characters per message
    html: bool  # Telegram's HTML subset; otherwise plain text


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries so no chunk exceeds ``limit``."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest:
        chunks.append(rest)
    return chunks


def plain_text(reply: Reply, numbered: bool = True) -> str:
    """The reply for a channel without buttons or markup: choices as a numbered list.

    ``numbered=False`` for messages sent from the outbox: typing a number answers the person's
    current conversation, not an announcement or reminder, so those choices are shown as bullets
    (their texts name the command to type instead)."""
    text = strip_html(reply.text)
    buttons = reply.flat_buttons
    if not buttons:
        return text
    lines = [text, ""]
    lines += [f"  {i}. {b.label}" if numbered else f"  • {b.label}" for i, b in enumerate(buttons, 1)]
    return "\n".join(lines)
