"""Officers hear of declarations: the nearest officers at once, those above once a day; the review
shows what changed; the family's assessment ends with one overall line."""

from __future__ import annotations

from datetime import timedelta

from bot.bootstrap import Runtime
from bot.clock import ManualClock
from bot.delivery.notify import to_reply
from bot.scheduler import Scheduler
from handlers.declaration.notices import DIGEST
from tests.helpers import Transcript
from tests.test_declaration_flow import declare_small
from tests.test_review import family, officer_of


async def notices_for(app: Runtime, key: str, prefix: str) -> list[str]:
    """The texts queued for ``console:<key>`` whose purpose starts with ``prefix``."""
    store = app.services.store.read
    user = await store.users.by_key(f"console:{key}")
    assert user is not None
    due = await store.outbox.due(app.services.clock.now() + timedelta(days=30), limit=1000)
    return [to_reply(m).text for m in due if m.user_id == user.id and m.purpose.startswith(prefix)]


def digest_work(app: Runtime) -> Scheduler:
    scheduler = Scheduler(app.services)
    for work in app.features.declaration.due_work(app.services):
        scheduler.add(work)
    return scheduler


async def test_the_nearest_officers_are_told_at_once_with_a_button_to_review(app: Runtime) -> None:
    city = await officer_of(app, "city", "vinh_yen")
    first = await family(app, "fam1", 1, 1, head="Nguyễn Văn An")

    # The demo officer of Phường Liên Bảo is the nearest: no officer for Tổ dân phố 1.
    [notice] = await notices_for(app, "officer", "decl-new:")
    assert f"Bản khai báo mới #{first} ở Tổ dân phố 1: hộ Nguyễn Văn An, 2 thành viên" in notice
    assert f"/duyet {first}" in notice  # apps without buttons: the command to type
    rows = await app.services.store.read.outbox.rows(f"decl-new:{first}:")
    assert len(rows) == 1  # the city officer waits for the digest
    assert await notices_for(app, "city", "decl-new:") == []
    due = await app.services.store.read.outbox.due(app.services.clock.now())
    [message] = [m for m in due if m.purpose == f"decl-new:{first}:1"]
    assert [b.payload for row in to_reply(message).buttons for b in row] == [f"rev:o:{first}"]

    # The button opens the declaration for review.
    officer = Transcript(app.router, "officer")
    text = await officer.press(f"rev:o:{first}")
    assert f"Bản khai báo #{first}" in text and "Chủ hộ: Nguyễn Văn An" in text

    # A village with its own officer: they are the nearest now, the ward waits for the digest.
    village = await officer_of(app, "tdp2", "lien_bao.tdp2")
    second = await family(app, "fam2", 1, 2, head="Lê Thị Hoa")
    assert len(await notices_for(app, "tdp2", "decl-new:")) == 1
    assert [n for n in await notices_for(app, "officer", "decl-new:") if f"#{second}" in n] == []
    assert "Bản khai báo mới" in (await notices_for(app, "tdp2", "decl-new:"))[0]
    await village.send("/huy")
    await city.send("/huy")


async def test_an_officer_is_not_told_of_their_own_household(app: Runtime) -> None:
    ward = await officer_of(app, "ward", "lien_bao")  # lives in Tổ dân phố 1 (onboarded there)
    await declare_small(ward, head="Phạm Văn Cường")
    assert await notices_for(app, "ward", "decl-new:") == []
    assert len(await notices_for(app, "officer", "decl-new:")) == 1  # the other ward officer


async def test_amended_declaration_notice_and_the_diff_in_review(app: Runtime) -> None:
    second = await family(app, "fam2", 1, 2, head="Lê Thị Hoa")
    officer = Transcript(app.router, "officer")
    await officer.press(f"rev:r:{second}:1")
    await officer.send("Thiếu thông tin cháu đang học đại học")

    fam2 = Transcript(app.router, "fam2")
    await fam2.send("/khaibao")
    await fam2.send("sua thanh vien")
    await fam2.send("them thanh vien")
    await fam2.send("con")
    await fam2.send("2004")
    await fam2.send("dai hoc")
    await fam2.send("co")
    await fam2.send("khong")
    assert "Phần sửa đã được gửi (lần 2)" in await fam2.send("gui")

    changed = [n for n in await notices_for(app, "officer", "decl-new:") if "đã sửa" in n]
    assert len(changed) == 1
    assert f"Gia đình đã sửa bản khai báo #{second} ở Tổ dân phố 2 (hộ Lê Thị Hoa): lần 2" in changed[0]
    assert f"/duyet {second}" in changed[0]

    text = await officer.send(f"/duyet {second}")
    assert "Những gì thay đổi so với lần 1 (lần đã trả lại lúc" in text
    assert "Thêm thành viên: 3. Con, sinh năm 2004 (22 tuổi) — Cao đẳng, đại học" in text
    assert text.index("Những gì thay đổi") < text.index("Chủ hộ: Lê Thị Hoa")
    # The first version shows no comparison.
    first = await family(app, "fam1", 1, 1)
    assert "Những gì thay đổi" not in await officer.send(f"/duyet {first}")


async def test_officers_above_get_one_digest_a_day(app: Runtime, clock: ManualClock) -> None:
    city = await officer_of(app, "city", "vinh_yen")
    scheduler = digest_work(app)
    await scheduler.tick()  # the bot starts on Tuesday 09:00: yesterday's (empty) digest is done
    assert await notices_for(app, "city", "decl-digest:") == []

    await family(app, "fam1", 1, 1)
    await family(app, "fam2", 1, 2)
    third = await family(app, "fam3", 2, 1)  # Phường Tích Sơn has no officer: the city is nearest
    [told] = await notices_for(app, "city", "decl-new:")
    assert f"#{third}" in told
    assert scheduler.armed_for(DIGEST) is not None
    assert (await scheduler.tick())[DIGEST] == 0  # not 17:00 yet

    clock.advance(timedelta(hours=8))  # 17:00 local
    assert (await scheduler.tick())[DIGEST] == 1
    [digest] = await notices_for(app, "city", "decl-digest:")
    assert "Khai báo ở Thành phố Vĩnh Yên (mẫu) từ 17:00, Thứ Hai, 23/11/2026" in digest
    assert "• Phường Liên Bảo: 2 bản mới" in digest and "Tích Sơn" not in digest  # told at once
    assert "Hiện đang chờ xem xét trong địa bàn của bạn: 3" in digest
    # Once only, and nothing more for the ward officer who was told of each at once.
    assert (await scheduler.tick())[DIGEST] == 0
    assert await notices_for(app, "officer", "decl-digest:") == []

    # The next day: nothing new, no digest.
    clock.advance(timedelta(days=1))
    assert (await scheduler.tick())[DIGEST] == 0
    assert len(await notices_for(app, "city", "decl-digest:")) == 1
    await city.send("/huy")


async def test_the_family_assessment_ends_with_one_overall_line(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    await declare_small(chat)
    [assessment] = [r.text for r in chat.replies if "Tự đánh giá" in r.text]
    last = assessment.strip().splitlines()[-1]
    assert last.startswith("<b>Tóm lại: đạt ") and "tiêu chí" in last, last
    view = await chat.send("/xemkhaibao")
    assert view.count("Tóm lại: đạt") == 1
