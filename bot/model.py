"""The channel-neutral message model: what comes in, what goes out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import clean

CHANNELS = ("telegram", "zalo", "console")


def user_key(channel: str, user_id: str | int) -> str:
    """An identity qualified by its channel, e.g. ``telegram:12345``."""
    return f"{channel}:{user_id}"


def split_key(key: str) -> tuple[str, str]:
    channel, _, user_id = key.partition(":")
    if not channel or not user_id:
        raise ValueError(f"not a channel-qualified id: {key!r}")
    return channel, user_id


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"


MAX_ID = 64  # a platform's user or chat id
MAX_NAME = 128  # a display name
MAX_TEXT = 10_000  # a message (Telegram allows 4,096 characters, Zalo 2,000)
_PAYLOAD = re.compile(r"[\x20-\x7e]{0,64}")  # what our buttons carry: short printable ASCII
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message or button press from a person, whatever the platform."""

    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    payload: str | None = None  # data of a pressed button
    display_name: str = ""
    language: str | None = None  # the platform's hint, e.g. "vi" or "en-US"
    unsupported: bool = False  # a sticker, voice message… that the bot cannot read
    photo: Attachment | None = None  # a picture the person sent (the caption comes as text)

    def __post_init__(self) -> None:
        """Input hygiene in one place: every channel builds an ``Incoming``, so whatever a platform
        or a person sends is cleaned here before any feature sees it (``bot.text.clean``: NFC, no
        lone surrogates, control characters or bidi overrides), within bounds; a payload that no
        button of ours could have sent (not short printable ASCII) becomes empty."""
        set_ = object.__setattr__  # frozen
        set_(self, "channel", clean(self.channel, limit=MAX_ID, single_line=True))
        set_(self, "user_id", clean(self.user_id, limit=MAX_ID, single_line=True))
        set_(self, "chat_id", clean(self.chat_id, limit=MAX_ID, single_line=True))
        set_(self, "display_name", clean(self.display_name, limit=MAX_NAME, single_line=True).strip())
        if self.text is not None:
            set_(self, "text", clean(self.text, limit=MAX_TEXT))
        if self.payload is not None and not _PAYLOAD.fullmatch(self.payload):
            set_(self, "payload", "")
        if self.language is not None and not _LANGUAGE.fullmatch(self.language):
            set_(self, "language", None)

    @property
    def key(self) -> str:
        return user_key(self.channel, self.user_id)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str  # short ASCII: Telegram allows 64 bytes of callback data
    # Words people type for it besides its label (``@name``: a list of locales/words.toml);
    # never sent to a platform, kept with the menu so a typed word picks the button.
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.payload or len(self.payload.encode()) > 64:
            raise ValueError(f"button payload must be 1-64 bytes: {self.payload!r}")


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says. ``text`` is in Telegram's small HTML subset; user content escaped."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photo: Attachment | None = None
    document: Attachment | None = None
    # Where the platform can, update the message whose button was just pressed instead of
    # sending a new one (ticking items of a list); elsewhere it is sent as usual.
    replace: bool = False

    @staticmethod
    def make(
        text: str,
        buttons: list[Button] | list[list[Button]] | None = None,
        *,
        columns: int = 1,
        photo: Attachment | None = None,
        document: Attachment | None = None,
    ) -> Reply:
        """Build a reply; a flat list of buttons is laid out in rows of ``columns``."""
        rows: list[tuple[Button, ...]] = []
        if buttons:
            if isinstance(buttons[0], Button):
                flat = [b for b in buttons if isinstance(b, Button)]
                rows = [tuple(flat[i : i + columns]) for i in range(0, len(flat), columns)]
            else:
                rows = [tuple(row) for row in buttons if isinstance(row, list) and row]
        return Reply(text=text, buttons=tuple(rows), photo=photo, document=document)

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(slots=True)
class Outgoing:
    """A reply addressed to someone other than the sender (proactive send)."""

    channel: str
    chat_id: str
    reply: Reply
    extra: dict[str, str] = field(default_factory=dict)
