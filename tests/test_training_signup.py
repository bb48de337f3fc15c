"""Sign-up and cancel through the router: the list, capacity under concurrency, the waiting list."""

from __future__ import annotations

import asyncio

import pytest

from bot.bootstrap import Runtime, open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.demo import seed_demo
from bot.model import Incoming
from handlers.training import service
from handlers.training.scheduler import ReminderWork
from tests.helpers import Transcript
from tests.test_training_support import add_person, add_session, local, outbox, outbox_text


async def test_family_lists_and_signs_up_by_typing(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()  # Tổ dân phố 1, Phường Liên Bảo: sees the ward's demo session
    text = await chat.send("/lichhoc")
    assert "Các buổi tập huấn sắp tới" in text and "08:00, Thứ Sáu, 27/11/2026" in text
    assert "Đã đăng ký 0/60 chỗ" in text
    text = await chat.send("1")  # the first session, by its number
    assert "Vẫn còn chỗ" in text
    text = await chat.send("dang ky")  # the button's label, typed without accents
    assert "Bạn đã đăng ký buổi" in text
    assert "Tôi sẽ nhắc bạn 1 ngày trước, và một lần nữa 2 giờ trước giờ bắt đầu" in text
    text = await chat.send("/lichhoc")
    assert "Đã đăng ký 1/60 chỗ" in text and "bạn đã đăng ký" in text
    assert await app.services.store.read.events.count("training.signup") == 1


async def test_list_is_paged(app: Runtime, chat: Transcript) -> None:
    for day in range(1, 8):
        await add_session(app, local(24, 12) + day * (local(25, 0) - local(24, 0)), title=f"Buổi {day}")
    await chat.onboard()
    text = await chat.send("/lichhoc")
    assert "(trang 1/2)" in text and "Trang sau" in text
    await chat.press("tr:p:1")
    text = "\n".join(r.text for r in chat.replies)
    assert "(trang 2/2)" in text and "Buổi 7" in text


async def test_sessions_of_another_ward_or_for_officers_stay_hidden(app: Runtime, chat: Transcript) -> None:
    other_ward = await add_session(app, local(26, 14), area="tich_son")
    officers_only = await add_session(app, local(26, 15), audience="officer")
    await chat.onboard()
    text = await chat.send("/lichhoc")
    assert "Tập huấn “Gia đình học tập”" not in text
    for session in (other_ward, officers_only):
        text = await chat.press(f"tr:s:{session.id}")  # a forged button is refused
        assert "không tìm thấy buổi tập huấn" in text
    assert await app.services.store.read.sessions.signups.count(other_ward.id, "confirmed") == 0


async def test_fifty_concurrent_sign_ups_for_twenty_places(app: Runtime) -> None:
    session = await add_session(app, local(26, 14), capacity=20)
    people = [await add_person(app, f"p{i:02d}") for i in range(50)]

    async def press(name: str) -> None:
        await app.router.replies_for(Incoming("console", name, name, payload=f"tr:s:{session.id}"))

    await asyncio.gather(*(press(p.key.split(":", 1)[1]) for p in people))
    signups = app.services.store.read.sessions.signups
    assert await signups.count(session.id, "confirmed") == 20
    assert await signups.count(session.id, "waiting") == 30
    positions = [await signups.waiting_position(session.id, p.id) for p in people]
    assert sorted(p for p in positions if p is not None) == list(range(1, 31))
    # Reports count a place taken as a sign-up; a place waited for is counted on its own.
    assert await app.services.store.read.events.count("training.signup") == 20
    assert await app.services.store.read.events.count("training.waiting") == 30


async def test_capacity_holds_across_two_processes(settings: Settings, clock: ManualClock) -> None:
    async with open_runtime(settings, clock) as first, open_runtime(settings, clock) as second:
        await seed_demo(first.services)
        session = await add_session(first, local(26, 14), capacity=20)
        people = [await add_person(first, f"p{i:02d}") for i in range(50)]
        apps = (first, second)
        await asyncio.gather(
            *(service.sign_up(apps[i % 2].services, person, session.id) for i, person in enumerate(people))
        )
        signups = first.services.store.read.sessions.signups
        assert await signups.count(session.id, "confirmed") == 20
        assert await signups.count(session.id, "waiting") == 30


async def test_cancel_moves_the_first_waiting_person_up_and_tells_them(
    app: Runtime, clock: ManualClock
) -> None:
    session = await add_session(app, local(26, 14), capacity=1)
    chat = Transcript(app.router, "fam")
    await chat.onboard()
    first_in_line = await add_person(app, "lan")
    second_in_line = await add_person(app, "tom")
    await chat.send(f"/lichhoc {session.id}")
    await chat.send("1")  # Đăng ký
    assert (await service.sign_up(app.services, first_in_line, session.id)).position == 1
    assert (await service.sign_up(app.services, second_in_line, session.id)).position == 2

    text = await chat.send("/huydangky")
    text = await chat.send("1")
    assert "Hủy đăng ký buổi" in text
    text = await chat.send("co, huy")
    assert "Đã hủy đăng ký" in text

    signups = app.services.store.read.sessions.signups
    assert (await signups.get(session.id, first_in_line.id)).status == "confirmed"  # type: ignore[union-attr]
    assert await signups.waiting_position(session.id, second_in_line.id) == 1
    told = await outbox(app, "session-place:")
    assert [r.user_id for r in told] == [first_in_line.id]
    assert "Tin vui" in await outbox_text(app, first_in_line, told[0].purpose)
    assert await app.services.store.read.events.count("training.cancel") == 1
    # Moving up into the freed place counts as a sign-up now (it was counted as waiting before).
    events = app.services.store.read.events
    assert await events.count("training.signup") == 2 and await events.count("training.waiting") == 2
    # The promoted person now has reminders.
    reminders = await app.services.store.read.sessions.reminders.for_person(session.id, first_in_line.id)
    assert {r.offset_min for r in reminders} == {1440, 120}


async def test_a_place_freed_by_deleting_data_goes_to_the_waiting_list(
    app: Runtime, clock: ManualClock
) -> None:
    from bot import accounts

    session = await add_session(app, local(26, 14), capacity=1)
    lan, tom = await add_person(app, "lan"), await add_person(app, "tom")
    await service.sign_up(app.services, lan, session.id)
    await service.sign_up(app.services, tom, session.id)
    await accounts.delete_person(app.services, lan)  # the sign-up row goes with her data
    assert await ReminderWork(app.services).fill_waiting_lists() == 1
    assert (await app.services.store.read.sessions.signups.get(session.id, tom.id)).status == "confirmed"  # type: ignore[union-attr]


async def test_signing_up_twice_and_after_the_start(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14))
    chat = Transcript(app.router, "fam")
    await chat.onboard()
    await chat.press(f"tr:s:{session.id}")
    text = await chat.press(f"tr:s:{session.id}")
    assert "Bạn đã đăng ký buổi" in text and "rồi" in text
    assert await app.services.store.read.sessions.signups.count(session.id, "confirmed") == 1
    clock.set(local(26, 14, 1))
    text = await chat.press(f"tr:cy:{session.id}")
    assert "đã bắt đầu" in text


async def test_more_places_move_the_waiting_list_up_and_fewer_than_confirmed_are_refused(
    app: Runtime,
) -> None:
    session = await add_session(app, local(26, 14), capacity=1)
    people = [await add_person(app, name) for name in ("lan", "tom", "hoa")]
    for person in people:
        await service.sign_up(app.services, person, session.id)
    result = await service.update_session(app.services, session.id, service.SessionChanges(capacity=2), "x")
    assert result.promoted == 1 and result.notified == 0  # more places is not a change of time or place
    assert [r.user_id for r in await outbox(app, "session-place:")] == [people[1].id]
    with pytest.raises(service.TrainingError, match="capacity_below_confirmed"):
        await service.update_session(app.services, session.id, service.SessionChanges(capacity=1), "x")
