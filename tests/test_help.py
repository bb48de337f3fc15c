"""Help by role: a family's commands for families, the officers' in groups, one line each; the
command menus per role, and a chat menu of their own for officers where the platform has one."""

from __future__ import annotations

from bot import accounts
from bot.bootstrap import Runtime
from bot.context import Role
from tests.helpers import Transcript

OFFICER_GROUPS = [
    "Khai báo của gia đình",
    "Thông báo",
    "Lớp tập huấn",
    "Số liệu, báo cáo",
    "Câu hỏi của người dân",
]


def command_lines(text: str) -> list[str]:
    return [line.split(" — ")[0] for line in text.splitlines() if line.startswith("/")]


async def test_a_family_sees_the_family_commands_one_line_each(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    text = await chat.send("/trogiup")
    commands = command_lines(text)
    assert commands[:3] == ["/khaibao", "/xemkhaibao", "/lichhoc"]
    assert "/hoicanbo" in commands and "/huy" in commands and "/start" not in commands
    for officer_only in ("/duyet", "/thongbao", "/guilai", "/thongke", "/taolop"):
        assert officer_only not in text
    assert not any(title in text.splitlines() for title in OFFICER_GROUPS)


async def test_an_officer_sees_their_commands_in_groups(app: Runtime) -> None:
    officer = Transcript(app.router, "officer")
    text = await officer.send("/trogiup")
    lines = text.splitlines()
    assert lines[0] == "Việc của cán bộ khuyến học"
    positions = [lines.index(title) for title in OFFICER_GROUPS]
    assert positions == sorted(positions)  # in this order: review, announcements, sessions, reports…
    announcements = lines[positions[1] + 1 : positions[2]]
    assert [line.split(" — ")[0] for line in announcements] == ["/thongbao", "/dsthongbao", "/guilai"]
    assert lines[positions[0] + 1].startswith("/duyet — ")
    assert [c for c in command_lines(text) if c in ("/khaibao", "/lichhoc")] == []  # families' list apart
    assert "/trogiup giadinh" in text and "Quản trị" not in lines
    assert "Bạn là cán bộ khuyến học phụ trách: Phường Liên Bảo." in text
    assert len(lines) <= 30

    family = await officer.send("/trogiup giadinh")
    assert command_lines(family)[:2] == ["/khaibao", "/xemkhaibao"] and "/duyet" not in family
    assert "/duyet — " in await officer.send("tro giup")  # typed without the slash

    admin = Transcript(app.router, "admin")
    text = await admin.send("/trogiup")
    assert "Quản trị" in text.splitlines() and "/moi — " in text and "/cauhoi — " in text


async def test_menus_per_role(app: Runtime) -> None:
    router = app.router
    family = [name for name, _ in router.menu_commands(Role.FAMILY)]
    officer = [name for name, _ in router.menu_commands(Role.OFFICER)]
    admin = [name for name, _ in router.menu_commands(Role.ADMIN)]
    assert family[0] == "khaibao" and "duyet" not in family and "start" in family
    assert officer[:4] == ["duyet", "thongbao", "dsthongbao", "guilai"]
    assert "khaibao" in officer and "moi" not in officer and "moi" in admin
    assert router.menu_commands() == router.menu_commands(Role.FAMILY)
    assert len(admin) == len(set(admin)) <= 100  # Telegram's limit


class MenuChannel:
    """A channel that keeps chats' own menus (as Telegram does)."""

    name = "console"

    def __init__(self) -> None:
        self.menus: list[tuple[str, list[str] | None]] = []

    def set_chat_menu(self, chat_id: str, commands: list[tuple[str, str]] | None) -> None:
        self.menus.append((chat_id, None if commands is None else [name for name, _ in commands]))


async def test_an_officer_gets_a_chat_menu_when_first_seen_and_when_their_role_changes(
    app: Runtime, chat: Transcript
) -> None:
    channel = MenuChannel()
    app.services.menus.connect(channel)
    await chat.onboard()
    assert channel.menus == []  # families keep the default menu
    officer = Transcript(app.router, "officer")
    await officer.send("/trogiup")
    await officer.send("/duyet")
    [(chat_id, commands)] = channel.menus
    assert chat_id == "officer" and commands is not None and commands[:2] == ["duyet", "thongbao"]

    await accounts.grant_role(app.services, "console:fam", "officer", "lien_bao.tdp1", by="test")
    await chat.send("/trogiup")
    assert channel.menus[-1][0] == "fam" and "duyet" in (channel.menus[-1][1] or [])
    await accounts.revoke_role(app.services, "console:fam", "officer", by="test")
    text = await chat.send("/trogiup")
    assert channel.menus[-1] == ("fam", None) and "/duyet" not in text
    assert len(channel.menus) == 3
