"""/dulieu shows everything held about a person, declarations included; /xoadulieu deletes it."""

from __future__ import annotations

from bot.bootstrap import Runtime
from tests.helpers import Transcript
from tests.test_declaration_flow import declare_small


async def test_my_data_shows_declarations_history_and_the_draft(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await declare_small(chat, head="Trần Thị Bình", note="Cả nhà đọc sách mỗi tối")
    await chat.send("/khaibao")
    await chat.send("8")
    await chat.send("0912345678")
    await chat.send("gui")

    text = await chat.send("/dulieu")
    assert "Bản khai báo “Gia đình học tập” năm 2026 của gia đình" in text
    assert "Chủ hộ: Trần Thị Bình" in text and "Thành viên (2 người)" in text
    assert "2. Con, sinh năm 2015 (11 tuổi) — Tiểu học (cấp 1)" in text
    assert "Ghi chú: Cả nhà đọc sách mỗi tối" in text and "Số điện thoại liên hệ: 0912345678" in text
    assert "đã gửi (lần 1)" in text and "đã sửa (lần 2)" in text
    assert "/xoadulieu" in text

    # A declaration in progress is data held too.
    other = Transcript(app.router, "fam2")
    await other.onboard()
    await other.send("/khaibao")
    await other.send("Lê Văn Cường")
    text = await other.send("/dulieu")
    assert "Bản khai báo bạn đang khai dở, chưa gửi" in text and "Chủ hộ: Lê Văn Cường" in text
    assert "Gia đình ở: Tổ dân phố 1" in text  # the step is asked again after the side command
    # A family sees only its own household.
    assert "Trần Thị Bình" not in text
    assert "Trần Thị Bình" not in await other.send("/xemkhaibao")


async def test_delete_my_data_removes_declarations_and_keeps_anonymous_counts(
    app: Runtime, chat: Transcript
) -> None:
    await chat.onboard()
    await declare_small(chat, head="Trần Thị Bình")
    store = app.services.store.read
    user = await store.users.by_key("console:fam")
    assert user is not None
    declaration = await store.declarations.for_user(user.id, 2026)
    assert declaration is not None
    officer = Transcript(app.router, "officer")
    await officer.send(f"/duyet {declaration.id}")
    await officer.press(f"rev:r:{declaration.id}:1")
    await officer.send("Thiếu thông tin của cháu")
    assert len(await store.outbox.rows("review:")) == 1

    text = await chat.send("/xoadulieu")
    assert "các bản khai báo của gia đình cùng lịch sử thay đổi" in text
    text = await chat.send("khong")
    assert await store.declarations.get(declaration.id) is not None
    await chat.send("/xoadulieu")
    text = await chat.send("co")
    assert await store.users.by_key("console:fam") is None
    assert await store.declarations.get(declaration.id) is None
    assert await store.declarations.history(declaration.id) == []
    assert await store.declarations.count_for_user(user.id) == 0
    assert await store.outbox.rows("review:") == []
    # Statistics keep only anonymous counts.
    assert await store.events.count("declaration.submitted") == 1
    assert await store.events.count("declaration.returned") == 1
    actors = {a.actor for a in await store.audit.recent(50)}
    assert "console:fam" not in actors and f"deleted-user#{user.id}" in actors

    text = await officer.send(f"/duyet {declaration.id}")
    assert "Bản khai báo này không còn nữa" in text
    text = await officer.press(f"rev:a:{declaration.id}:1")
    assert "Bản khai báo này không còn nữa" in text


async def test_an_officer_deleting_their_data_leaves_the_families_reviews(
    app: Runtime, chat: Transcript
) -> None:
    await chat.onboard()
    await declare_small(chat)
    store = app.services.store.read
    user = await store.users.by_key("console:fam")
    assert user is not None
    declaration = await store.declarations.for_user(user.id, 2026)
    assert declaration is not None
    officer = Transcript(app.router, "officer")
    await officer.press(f"rev:a:{declaration.id}:1")
    text = await officer.send("/dulieu")
    assert "Số bản khai báo bạn đã xem xét với vai trò cán bộ: 1" in text

    await officer.send("/xoadulieu")
    await officer.send("co")
    kept = await store.declarations.get(declaration.id)
    assert kept is not None and kept.status == "approved" and kept.reviewed_by is None
    history = await store.declarations.history(declaration.id)
    assert [(h.action, h.actor_id) for h in history] == [("submitted", user.id), ("approved", None)]
    text = await chat.send("/xemkhaibao")
    assert "cán bộ đã xác nhận thông tin; tiếp theo thôn bình xét" in text


async def test_my_data_lists_sign_ups_questions_and_announcement_choice(app: Runtime) -> None:
    from handlers.training import service as training

    chat = Transcript(app.router, "priv")
    await chat.onboard()
    store = app.services.store
    user = await store.read.users.by_key("console:priv")
    [session] = await store.read.sessions.upcoming(
        [a.path for a in await store.read.areas.all()], ("family", "all"), app.services.clock.now()
    )
    await training.sign_up(app.services, user, session.id)
    await chat.send("/tatthongbao")
    text = await chat.send("/dulieu")
    assert "Hội nghị tập huấn" in text and "đã có chỗ" in text
    assert "Nhận thông báo: đã tắt" in text
