"""Every user-facing message has a Vietnamese translation; formats follow vi_VN."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import i18n

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import catalog


def test_every_message_has_a_vietnamese_translation() -> None:
    have = catalog.translated("vi")
    missing = sorted(
        f"{where}: {msgid!r}" for msgid, where in catalog.extracted().items() if msgid not in have
    )
    assert not missing, "messages without a Vietnamese translation:\n" + "\n".join(missing)


def test_translations_keep_placeholders() -> None:
    import re

    have = catalog.translated("vi")
    for msgid, where in catalog.extracted().items():
        if msgid in have:
            wanted = set(re.findall(r"{(\w*)}", msgid))
            got = set(re.findall(r"{(\w*)}", have[msgid]))
            assert wanted == got, f"{where}: placeholders differ in {msgid!r}"


def test_language_is_task_local() -> None:
    with i18n.use("en"):
        assert i18n._("Back") == "Back"
        with i18n.use("vi"):
            assert i18n._("Back") == "Quay lại"
        assert i18n._("Back") == "Back"


def test_vietnamese_formats() -> None:
    with i18n.use("vi"):
        assert i18n.fmt_number(1234567.891) == "1.234.567,891"
        moment = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
        assert i18n.fmt_datetime(moment) == "08:30, Thứ Bảy, 28/11/2026"


def test_language_choice_order() -> None:
    assert i18n.pick_language("en", "vi", "vi") == "en"
    assert i18n.pick_language(None, "en-US", "vi") == "en"
    assert i18n.pick_language(None, "fr", "vi") == "vi"
