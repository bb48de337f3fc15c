"""Officers review declarations: area limits, approve and return, notices, audit, concurrency."""

from __future__ import annotations

import asyncio

from bot import accounts
from bot.bootstrap import Runtime, open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Person
from bot.delivery.notify import to_reply
from bot.demo import seed_demo
from bot.model import Incoming
from handlers.declaration import service
from handlers.declaration.criteria import load_criteria
from storage.declarations import Declaration
from tests.helpers import Transcript
from tests.test_declaration_flow import declare_small

NOT_YOUR_AREA = "không thuộc địa bàn của bạn"
OFFICERS_ONLY = "chỉ dành cho cán bộ khuyến học hoặc quản trị viên"


async def family(
    app: Runtime, user_id: str, ward: int = 1, village: int = 1, head: str = "Trần Thị Bình"
) -> int:
    """A family that onboards and declares; returns its declaration id."""
    chat = Transcript(app.router, user_id)
    await chat.onboard(ward, village)
    text = await declare_small(chat, head=head)
    assert "đã được gửi" in text
    user = await app.services.store.read.users.by_key(f"console:{user_id}")
    assert user is not None
    found = await app.services.store.read.declarations.for_user(user.id, 2026)
    assert found is not None
    return found.id


async def officer_of(app: Runtime, user_id: str, area: str) -> Transcript:
    chat = Transcript(app.router, user_id)
    await chat.onboard()
    await accounts.grant_role(app.services, f"console:{user_id}", "officer", area, by="test")
    return chat


async def declaration(app: Runtime, declaration_id: int) -> Declaration:
    found = await app.services.store.read.declarations.get(declaration_id)
    assert found is not None
    return found


async def test_officer_approves_one_returns_another_and_families_hear_once(app: Runtime) -> None:
    first = await family(app, "fam1", 1, 1, head="Nguyễn Văn An")
    second = await family(app, "fam2", 1, 2, head="Lê Thị Hoa")
    officer = Transcript(app.router, "officer")

    text = await officer.send("/duyet")
    assert "Bản khai báo chờ xem xét — Phường Liên Bảo</b>" not in text  # plain text in the terminal
    assert "Bản khai báo chờ xem xét — Phường Liên Bảo (2)" in text
    assert f"#{first} Nguyễn Văn An — Tổ dân phố 1 — 2 thành viên" in text
    assert f"#{second} Lê Thị Hoa — Tổ dân phố 2" in text

    text = await officer.send("1")  # open the first in the list
    assert f"Bản khai báo #{first} — “Gia đình học tập” năm 2026" in text
    assert "Chủ hộ: Nguyễn Văn An" in text and "Tự đánh giá — tạm thời" in text
    assert "Lịch sử thay đổi" in text and "đã gửi (lần 1)" in text
    assert officer.buttons[:2] == [f"rev:a:{first}:1", f"rev:r:{first}:1"]
    text = await officer.send("1")  # confirm
    assert f"Đã xác nhận bản khai báo #{first}" in text
    assert "Bản khai báo chờ xem xét — Phường Liên Bảo (1)" in text

    await officer.send("1")  # open the remaining one
    text = await officer.send("tra lai, kem ly do")
    assert f"Vì sao trả lại bản khai báo #{second}?" in text
    text = await officer.send("ok")
    assert "Vui lòng viết lý do dài từ 5" in text
    text = await officer.send("Thiếu thông tin <b>cháu</b> đang học đại học")
    assert f"Đã trả lại bản khai báo #{second} kèm lý do" in text
    assert "Không có bản khai báo nào đang chờ xem xét ở Phường Liên Bảo." in text

    approved, returned = await declaration(app, first), await declaration(app, second)
    assert approved.status == "approved" and returned.status == "returned"
    assert returned.review_reason == "Thiếu thông tin <b>cháu</b> đang học đại học"
    officer_user = await app.services.store.read.users.by_key("console:officer")
    assert officer_user is not None and approved.reviewed_by == officer_user.id

    # Each family has exactly one notice, rendered in its language, with the reason escaped.
    store = app.services.store.read
    rows = await store.outbox.rows("review:")
    assert sorted(r.purpose for r in rows) == sorted([f"review:{first}:1", f"review:{second}:1"])
    due = {m.purpose: m for m in await store.outbox.due(app.services.clock.now())}
    approval = to_reply(due[f"review:{first}:1"]).text
    # What was approved (the facts), that it is not the title, and what comes next.
    assert "đã kiểm tra bản khai báo năm 2026 của gia đình và xác nhận các thông tin" in approval
    assert "chủ hộ Nguyễn Văn An, 2 thành viên, Tổ dân phố 1" in approval
    assert "chưa phải là danh hiệu “Gia đình học tập”" in approval
    assert "thôn/tổ dân phố bình xét" in approval and "công nhận ở cấp xã/phường" in approval
    assert "UBND" not in approval
    notice = to_reply(due[f"review:{second}:1"]).text
    assert "Lý do: Thiếu thông tin &lt;b&gt;cháu&lt;/b&gt; đang học đại học" in notice
    assert "/khaibao" in notice
    assert [b.payload for r in to_reply(due[f"review:{second}:1"]).buttons for b in r] == ["decl:view"]

    # A double tap on an old button changes nothing and queues nothing.
    text = await officer.press(f"rev:a:{first}:1")
    assert "vừa được người khác xem xét hoặc gia đình vừa sửa" in text
    assert len(await store.outbox.rows("review:")) == 2

    # Counted anonymously; who did what is in the audit log.
    assert await store.events.count("declaration.approved") == 1
    assert await store.events.count("declaration.returned") == 1
    audit = [(a.actor, a.action, a.subject) for a in await store.audit.recent(20)]
    assert ("console:officer", "declaration.approved", f"declaration:{first}") in audit
    assert ("console:officer", "declaration.returned", f"declaration:{second}") in audit
    assert [h.action for h in await store.declarations.history(second)] == ["submitted", "returned"]

    # The returned family sees the reason, amends, and is back in the officer's list.
    fam2 = Transcript(app.router, "fam2")
    text = await fam2.press("decl:view")
    assert "đã được trả lại để gia đình bổ sung" in text and "Lý do cán bộ ghi: Thiếu thông tin" in text
    text = await fam2.send("/khaibao")
    assert "Lý do cán bộ ghi:" in text
    await fam2.send("sua thanh vien")
    await fam2.send("them thanh vien")
    await fam2.send("con")
    await fam2.send("2004")
    await fam2.send("dai hoc")
    await fam2.send("co")
    await fam2.send("khong")
    text = await fam2.send("gui")
    assert "Phần sửa đã được gửi (lần 2)" in text
    text = await officer.send("/duyet")
    assert f"#{second} Lê Thị Hoa" in text and "3 thành viên" in text
    await officer.press(f"rev:a:{second}:2")
    assert (await declaration(app, second)).status == "approved"
    assert len(await store.outbox.rows(f"review:{second}:")) == 2  # one notice per reviewed version

    # Once confirmed, the family can no longer change it.
    fam1 = Transcript(app.router, "fam1")
    text = await fam1.send("/khaibao")
    assert "đã được cán bộ khuyến học xác nhận nên không sửa được nữa" in text
    text = await fam1.send("/xemkhaibao")
    assert "cán bộ khuyến học đã xem xét bản khai báo" in text and "Sửa bản khai báo" not in text


async def test_officers_see_only_their_own_area(app: Runtime) -> None:
    first = await family(app, "fam1", 1, 1)
    second = await family(app, "fam2", 1, 3)
    other = await officer_of(app, "tichson", "tich_son")

    text = await other.send("/duyet")
    assert "Không có bản khai báo nào đang chờ xem xét ở Phường Tích Sơn." in text
    for forged in (f"rev:o:{first}", f"rev:a:{first}:1", f"rev:r:{second}:1"):
        text = await other.press(forged)
        assert NOT_YOUR_AREA in text
    text = await other.send(f"/duyet {second}")
    assert NOT_YOUR_AREA in text and "Chủ hộ" not in text
    assert (await declaration(app, first)).status == "submitted"
    assert (await declaration(app, second)).status == "submitted"
    assert await app.services.store.read.outbox.rows("review:") == []

    # A village officer sees their village only; the admin sees everything.
    village = await officer_of(app, "tdp1", "lien_bao.tdp1")
    text = await village.send("/duyet")
    assert f"#{first} " in text and f"#{second} " not in text
    admin = Transcript(app.router, "admin")
    text = await admin.send("/duyet")
    assert "tất cả địa bàn (2)" in text

    # Families cannot review, whatever they type or forge.
    fam = Transcript(app.router, "fam1")
    assert OFFICERS_ONLY in await fam.send("/duyet")
    assert OFFICERS_ONLY in await fam.press(f"rev:a:{second}:1")
    assert (await declaration(app, second)).status == "submitted"


async def test_an_officer_cannot_review_their_own_household(app: Runtime) -> None:
    officer = Transcript(app.router, "officer")
    text = await declare_small(officer, head="Đỗ Văn Giang")
    assert "đã được gửi" in text
    user = await app.services.store.read.users.by_key("console:officer")
    assert user is not None
    mine = await app.services.store.read.declarations.for_user(user.id, 2026)
    assert mine is not None
    text = await officer.press(f"rev:a:{mine.id}:1")
    assert "không thể tự xem xét bản khai báo của gia đình mình" in text
    assert (await declaration(app, mine.id)).status == "submitted"


async def test_the_list_is_paged_and_duplicates_are_flagged(app: Runtime) -> None:
    criteria = load_criteria()
    now = app.services.clock.now()
    for n in range(7):
        async with app.services.store.write() as tx:
            user = await tx.users.create(
                key=f"console:p{n}",
                channel="console",
                chat_id=f"p{n}",
                display_name="",
                language="vi",
                now=now,
            )
            await tx.users.set_area(user.id, "lien_bao.tdp3", now)
        draft = {
            "yr": 2026,
            "h": "Hoàng Văn Tám" if n < 2 else f"Hộ Số {'ABCDEFG'[n]}",
            "a": "lien_bao.tdp3",
            "m": [{"r": "head", "y": 1970, "l": "none", "lit": True, "a": ["reading"]}],
            "c": ["books"],
            "e": "often",
        }
        assert (await service.submit(app.services, user, draft, criteria)).declaration is not None
    officer = Transcript(app.router, "officer")
    text = await officer.send("/duyet")
    assert "(7)" in text and "(trang 1/2)" in text
    assert officer.buttons[-1] == "rev:p:1" and len(officer.buttons) == 6
    text = await officer.send("6")  # "Trang sau", typed
    assert "(trang 2/2)" in text and officer.buttons == ["rev:o:6", "rev:o:7", "rev:p:0"]
    text = await officer.send("/duyet 1")
    assert "Bản khai báo #2 cùng địa bàn cũng ghi cùng tên chủ hộ" in text


async def test_two_officers_acting_at_once_cannot_both_succeed(app: Runtime) -> None:
    target = await family(app, "fam1", 1, 1)
    first = Transcript(app.router, "officer")
    second = await officer_of(app, "officer2", "lien_bao")
    await first.send(f"/duyet {target}")
    await second.send(f"/duyet {target}")
    await second.press(f"rev:r:{target}:1")  # asks for the reason

    # Both act on version 1 at the same moment, each through its own conversation lock.
    approving, returning = await asyncio.gather(
        first.press(f"rev:a:{target}:1"), second.send("Cần bổ sung năm sinh của các cháu")
    )
    outcomes = [
        "Đã xác nhận" in approving,
        "Đã trả lại" in returning,
    ]
    assert outcomes.count(True) == 1, (approving, returning)
    loser = returning if outcomes[0] else approving
    assert "vừa được người khác xem xét hoặc gia đình vừa sửa" in loser

    store = app.services.store.read
    history = await store.declarations.history(target)
    assert [h.action for h in history][1:] in (["approved"], ["returned"])
    assert len(await store.outbox.rows("review:")) == 1
    reviews = [a for a in await store.audit.recent(20) if a.subject == f"declaration:{target}"]
    assert len([a for a in reviews if a.action in ("declaration.approved", "declaration.returned")]) == 1


async def test_concurrent_reviews_from_two_processes_on_one_database(
    settings: Settings, clock: ManualClock
) -> None:
    """Two bot processes (two apps, two SQLite writers) race on one declaration: one wins."""
    async with open_runtime(settings, clock) as one:
        await seed_demo(one.services)
        target = await family(one, "fam1", 1, 1)
        second_officer = await officer_of(one, "officer2", "lien_bao")
        assert second_officer is not None
        async with open_runtime(settings, clock) as two:
            officers: list[Person] = []
            for app, key in ((one, "console:officer"), (two, "console:officer2")):
                person = await app.router.load_person(_incoming(key))
                officers.append(person)
            attempts = [
                service.review(
                    app.services,
                    officers[i % 2],
                    target,
                    1,
                    "approved" if i % 3 else "returned",
                    None if i % 3 else "Thiếu thông tin",
                )
                for i, app in enumerate([one, two] * 6)
            ]
            results = await asyncio.gather(*attempts)
        winners = [r for r in results if r.problem is None]
        assert len(winners) == 1
        assert all(r.problem == "stale" for r in results if r.problem is not None)
        store = one.services.store.read
        assert len(await store.outbox.rows("review:")) == 1
        assert len(await store.declarations.history(target)) == 2
        kinds = ("declaration.approved", "declaration.returned")
        assert sum([await store.events.count(k) for k in kinds]) == 1


async def test_a_family_amending_while_an_officer_approves(app: Runtime) -> None:
    target = await family(app, "fam1", 1, 1)
    officer = Transcript(app.router, "officer")
    fam = Transcript(app.router, "fam1")
    await officer.send(f"/duyet {target}")
    await fam.send("/khaibao")
    await fam.send("sua ghi chu")
    await fam.send("Bổ sung: cả nhà đọc sách mỗi tối")
    approving, amending = await asyncio.gather(officer.press(f"rev:a:{target}:1"), fam.send("gui"))
    approved = "Đã xác nhận" in approving
    amended = "Phần sửa đã được gửi (lần 2)" in amending
    assert approved != amended, (approving, amending)
    current = await declaration(app, target)
    if approved:
        assert "cán bộ khuyến học đã xem xét bản khai báo, nên thay đổi này chưa được lưu" in amending
        assert current.status == "approved" and current.version == 1
    else:
        assert "vừa được người khác xem xét hoặc gia đình vừa sửa" in approving
        assert current.status == "submitted" and current.version == 2


def _incoming(key: str) -> Incoming:
    channel, user_id = key.split(":", 1)
    return Incoming(channel, user_id, user_id, text="")
