"""Inputs that used to break a turn (issue 17 item 4), as a table, in every place they can arrive.

Text is cleaned once, where every channel builds its ``Incoming`` (``bot.model``: NFC, no lone
surrogates, control characters or bidi overrides); numbers are read by one helper
(``bot.text.parse_int``: ASCII digits only, within bounds); payloads are checked; what people
typed is escaped before it goes into HTML. None of the rows below may end a turn with "something
went wrong", log an error, or produce HTML that Telegram would refuse.
"""

from __future__ import annotations

import html
import json
import logging
import re

import pytest

from bot.bootstrap import Runtime
from bot.channels.zalo import platform_id
from bot.model import Incoming, Reply
from bot.text import clean, parse_id, parse_int, to_json
from storage.inbox import NewUpdate
from tests.helpers import Transcript

BROKE = "Xin lỗi, đã có lỗi"  # "Sorry, something went wrong on our side"

# (what is typed, why it once broke a turn)
NASTY = [
    ("²", "a superscript passes str.isdigit() and fails int()"),
    ("①", "a circled digit, likewise"),
    ("sửa ²", "a superscript where the declaration's summary takes 'sửa N'"),
    ("1²3", "digits mixed with a superscript"),
    ("9" * 5000, "more than 4,300 digits: int() refuses to convert it"),
    ("-" + "9" * 30, "a negative number far out of range"),
    ("\ud800", "a lone surrogate: no database or platform can store or send it"),
    ("tên \udc9f người", "a lone low surrogate inside words"),
    ("\x00\x07\x1b[31mđỏ", "control characters and an escape sequence"),
    ("\u202eevil\u202c", "a bidi override (text shown reversed)"),
    ("<a href='https://evil.example'>bấm</a>", "HTML typed as text"),
    ("</b>&amp;<", "a stray closing tag and ampersands"),
    ("/<a href='https://evil.example'>x</a>", "an unknown command whose name is HTML"),
    ("/" + "x" * 5000, "an unknown command 5,000 characters long"),
    ("/duyet ²", "a command argument that is a superscript"),
    ("/lichhoc " + "9" * 5000, "a command argument of 5,000 digits"),
    ("/huydangky ①", "a circled digit as a session number"),
    ("/dsthongbao 99999999999999999999999999", "a number above any row id"),
    ("/guilai ²", "a superscript announcement number"),
    ("/thongke ² tuần", "a superscript number of weeks"),
    ("/cauhoi ①", "a circled number of days"),
    ("/taolop", "a form whose every step then gets the row above"),
]

# Payloads nobody's button sent: a number that is no number, too big, or no payload of ours.
FORGED = [
    "tr:s:²",
    "tr:v:" + "9" * 5000,
    "tr:c:-1",
    "tr:p:①",
    "tro:m:99999999999999999999999",
    "tro:t:²:0",
    "rev:o:²",
    "rev:p:" + "9" * 40,
    "fq:①",
    "bcl:o:²",
    "bcr:99999999999999999999999",
    "rpt:²:*",
    "rptx:①:lien_bao",
    "invite:no_such_area",
    "lang:xx",
    "consent:yes:<b>",
    "cmd:<a href='x'>",
    "duration:²",
    "tên có dấu",  # not ASCII: no button of ours carries it
    "\ud800",
    "x" * 300,
]


def _valid_html(reply: Reply) -> bool:
    """Telegram's small subset: tags balanced, every '<' starts one of its tags, every '&' an
    entity. Enough to catch user text pasted in unescaped."""
    text = reply.text
    for match in re.finditer(r"<(/?)([a-z]+)(\s[^>]*)?>|<|&(#?\w+;)?", text):
        whole = match.group(0)
        if whole == "<" or (whole == "&" and match.group(4) is None):
            return False
        if whole.startswith("<") and match.group(2) not in {"b", "i", "u", "s", "code", "pre", "a"}:
            return False
    return "evil.example" not in text.split("<a", 1)[-1] if "<a" in text else True


async def _check(
    transcript: Transcript, say: str, caplog: pytest.LogCaptureFixture, press: bool = False
) -> None:
    caplog.clear()
    answer = await (transcript.press(say) if press else transcript.send(say))
    shown = repr(say[:40])
    assert BROKE not in answer, f"{shown} broke the turn"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, f"{shown} logged an error: {errors[0].getMessage()}"
    for reply in transcript.replies:
        assert _valid_html(reply), f"{shown} produced HTML Telegram would refuse: {reply.text[:200]!r}"
        reply.text.encode()  # no lone surrogate in what is sent


# -- the helpers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "lo", "hi", "expected"),
    [
        ("12", 1, 99, 12),
        (" 7 ", 1, 9, 7),
        ("0", 1, 9, None),
        ("100", 1, 99, None),
        ("²", 0, 9, None),
        ("①", 0, 9, None),
        ("١٢", 0, 99, None),  # Arabic-Indic digits: int() would take them; people here do not type them
        ("9" * 5000, 0, 10**6, None),
        ("-3", -5, 5, -3),
        ("-3", 0, 5, None),
        ("", 0, 5, None),
        ("1 2", 0, 99, None),
        (None, 0, 5, None),
    ],
)
def test_parse_int_takes_ascii_digits_within_bounds(
    text: str | None, lo: int, hi: int, expected: int | None
) -> None:
    assert parse_int(text, lo, hi) == expected


def test_parse_id() -> None:
    assert parse_id("#12") == 12
    assert parse_id(" 12 ") == 12
    assert parse_id("0") is None
    assert parse_id("99999999999999999999999") is None
    assert parse_id("²") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguye\u0302\u0303n", "Nguyễn"),  # decomposed, as some keyboards send it: NFC
        ("a\ud800b", "ab"),
        ("a\x00b\x07c", "abc"),
        ("dòng 1\r\ndòng 2", "dòng 1\ndòng 2"),
        ("\u202eevil", "evil"),
        ("tab\there", "tab\there"),
        ("👨‍👩‍👧 gia đình", "👨‍👩‍👧 gia đình"),  # zero-width joiners of an emoji stay
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_incoming_is_cleaned_whoever_builds_it() -> None:
    msg = Incoming(
        "telegram",
        "42\ud800",
        "42",
        text="xin\x00 chào\ud83d",
        payload="tên có dấu",
        display_name="An\ud800\nBình" + "x" * 500,
        language="<b>",
    )
    assert msg.user_id == "42"
    assert msg.text == "xin chào"
    assert msg.payload == ""  # no button of ours sends it
    assert msg.display_name.startswith("An Bình") and len(msg.display_name) == 128
    assert msg.language is None
    assert Incoming("zalo", "1", "1", payload="tr:s:12").payload == "tr:s:12"


def test_payloads_with_a_lone_surrogate_can_be_stored_and_digested() -> None:
    event = {"message": {"from": {"id": "7", "display_name": "An\ud800"}, "text": "hi"}}
    stored = to_json(event)
    stored.encode()  # storable
    assert json.loads(stored) == event
    assert to_json({"a": "Tiếng Việt"}) == '{"a": "Tiếng Việt"}'  # readable when it can be
    assert platform_id(event).startswith("sha256:")


async def test_an_update_with_a_lone_surrogate_is_stored_in_the_inbox(app: Runtime) -> None:
    payload = to_json({"update_id": 1, "message": {"from": {"first_name": "An\ud800"}}})
    async with app.services.store.write() as tx:
        assert await tx.inbox.add(
            "telegram", [NewUpdate("1", "telegram:1", payload)], app.services.clock.now()
        )


# -- through the router --------------------------------------------------------------------------
async def test_a_lone_surrogate_in_the_name_does_not_stop_consent(app: Runtime) -> None:
    person = Transcript(app.router, "surrogate")
    msg = Incoming("console", "surrogate", "surrogate", text="/start", display_name="Bình\ud800 An")
    await app.router.replies_for(msg)
    replies = await app.router.replies_for(
        Incoming("console", "surrogate", "surrogate", text="1", display_name="Bình\ud800 An")
    )
    assert any("xóa dữ liệu" in r.text or "/xoadulieu" in r.text for r in replies)
    user = await app.services.store.read.users.by_key("console:surrogate")
    assert user is not None and user.display_name == "Bình An"
    assert person  # the person goes on like anyone else


@pytest.mark.parametrize(("typed", "why"), NASTY, ids=[w for _t, w in NASTY])
async def test_nasty_text_never_breaks_a_turn(
    app: Runtime, typed: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    guest = Transcript(app.router, "guest")
    await _check(guest, typed, caplog)  # before consent
    await guest.send("/start")
    await _check(guest, typed, caplog)  # at the consent notice
    family = Transcript(app.router, "family")
    await family.onboard()
    await _check(family, typed, caplog)  # nothing in progress
    await family.send("/khaibao")
    for _step in range(3):  # the first steps of the declaration form
        await _check(family, typed, caplog)
    await family.send("/huy")
    officer = Transcript(app.router, "officer")
    await _check(officer, typed, caplog)
    await officer.send("/taolop")
    for _step in range(8):  # every step of creating a session gets it
        await _check(officer, typed, caplog)
    await officer.send("/huy")
    await officer.send("/thongbao")
    for _step in range(4):
        await _check(officer, typed, caplog)


@pytest.mark.parametrize("payload", FORGED)
async def test_forged_payloads_never_break_a_turn(
    app: Runtime, payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    guest = Transcript(app.router, "guest")
    await _check(guest, payload, caplog, press=True)
    family = Transcript(app.router, "family")
    await family.onboard()
    await _check(family, payload, caplog, press=True)
    for who in ("officer", "admin"):
        await _check(Transcript(app.router, who), payload, caplog, press=True)
    user = await app.services.store.read.users.by_key("console:guest")
    assert user is None or user.language in ("vi", "en")


async def test_an_unknown_command_is_escaped(app: Runtime) -> None:
    family = Transcript(app.router, "family")
    await family.onboard()
    await family.send("/<a_href='https://evil.example'>x</a>")
    first = family.replies[0].text
    assert "/&lt;a_href='https://evil.example'&gt;x…" in first  # escaped, cut at 32 characters
    assert "<a" not in first
    await family.send("/" + "y" * 5000)
    assert len(family.replies[0].text) < 200
    assert html.unescape(family.replies[0].text).count("y") == 32
