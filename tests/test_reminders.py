"""Reminders: when they fall due, quiet hours, restarts, changes — driven by a ManualClock.

The scheduler is the real one (APScheduler underneath); tests never wait for its timer: they move
the clock and call ``scheduler.run(work)``, the very coroutine its jobs run, or the work's own
``run_due()`` where the next wake-up does not matter.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.bootstrap import Runtime, open_runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.scheduler import Scheduler
from handlers.training import service
from handlers.training.reminders import QuietHours, plan
from handlers.training.scheduler import SWEEP_JOB, WAKE_JOB, ReminderWork
from storage.sessions import SessionChanges
from tests.helpers import Transcript
from tests.test_training_support import HANOI, add_person, add_session, local, outbox, outbox_text


def reminders_on_a_scheduler(app: Runtime, **options: Any) -> tuple[Scheduler, ReminderWork]:
    """The training feature's due work on a scheduler of its own (not started unless a test does)."""
    scheduler = Scheduler(app.services, **options)
    return scheduler, scheduler.add(ReminderWork(app.services))


# -- reminder times ------------------------------------------------------------------------------
def test_default_reminders_are_one_day_and_two_hours_before() -> None:
    start = local(26, 14)
    assert plan(start, (1440, 120), HANOI) == [(1440, local(25, 14)), (120, local(26, 12))]


def test_quiet_hours_move_reminders_to_the_evening_before() -> None:
    # 2 h before 08:30 is 06:30 (quiet): moved to 20:45 the evening before.
    assert plan(local(28, 8, 30), (1440, 120), HANOI) == [(1440, local(27, 8, 30)), (120, local(27, 20, 45))]
    # 1 day before a 22:00 session is 22:00 (quiet): 20:45 the same evening.
    assert plan(local(28, 22), (1440, 120), HANOI) == [(1440, local(27, 20, 45)), (120, local(28, 20))]
    # 21:00 itself is quiet; 20:59 is not.
    quiet = QuietHours()
    assert quiet.contains(local(27, 21), HANOI) and not quiet.contains(local(27, 20, 59), HANOI)
    assert quiet.contains(local(28, 6, 59), HANOI) and not quiet.contains(local(28, 7), HANOI)


def test_two_reminders_moved_to_the_same_moment_become_one() -> None:
    # 3 h and 2 h before 07:00 are 04:00 and 05:00: both would move to 20:45; keep one.
    assert plan(local(28, 7), (180, 120), HANOI) == [(120, local(27, 20, 45))]


def test_configurable_offsets_per_session() -> None:
    assert [due for _offset, due in plan(local(28, 14), (4320, 30), HANOI)] == [
        local(25, 14),
        local(28, 13, 30),
    ]


# -- firing ----------------------------------------------------------------------------------------
async def test_reminder_is_queued_at_its_time_in_the_persons_language(
    app: Runtime, clock: ManualClock
) -> None:
    session = await add_session(app, local(26, 14), place="Hội trường <UBND>")
    vi = await add_person(app, "lan")
    en = await add_person(app, "tom", language="en")
    for person in (vi, en):
        await service.sign_up(app.services, person, session.id)
    reminders = ReminderWork(app.services)

    clock.set(local(25, 13, 59))
    report = await reminders.run_due()
    assert report.queued == 0 and await outbox(app, "reminder:") == []

    clock.set(local(25, 14))
    report = await reminders.run_due()
    assert report.queued == 2
    rows = await outbox(app, "reminder:")
    assert {(r.purpose, r.kind) for r in rows} == {(f"reminder:{session.id}:1440", "reminder")}
    text_vi = await outbox_text(app, vi, f"reminder:{session.id}:1440")
    assert "Nhắc lịch" in text_vi and "14:00, Thứ Năm, 26/11/2026" in text_vi
    assert "Hội trường &lt;UBND&gt;" in text_vi  # user content escaped for HTML
    assert f"tr:c:{session.id}" in text_vi  # the cancel button
    text_en = await outbox_text(app, en, f"reminder:{session.id}:1440")
    assert "Reminder" in text_en and "Thursday" in text_en

    clock.set(local(26, 12))
    assert (await reminders.run_due()).queued == 2
    assert len(await outbox(app, "reminder:")) == 4


async def test_scheduler_arms_one_wake_up_for_the_earliest_reminder(app: Runtime, clock: ManualClock) -> None:
    early = await add_session(app, local(26, 14))
    late = await add_session(app, local(27, 14))
    person = await add_person(app, "lan")
    await service.sign_up(app.services, person, late.id)
    await service.sign_up(app.services, person, early.id)
    scheduler, reminders = reminders_on_a_scheduler(app, misfire_grace_seconds=120)
    await scheduler.start()
    try:
        assert scheduler.running
        assert scheduler.armed_for(reminders.name) == local(25, 14)
        jobs = scheduler.jobs()
        assert set(jobs) == {WAKE_JOB, SWEEP_JOB}
        assert all(job.misfire_grace_time == 120 for job in jobs.values())
        clock.set(local(25, 14))
        await scheduler.run(reminders)
        assert scheduler.armed_for(reminders.name) == local(26, 12)  # the next earliest row
        assert WAKE_JOB in scheduler.jobs()
    finally:
        await scheduler.stop()
    assert not scheduler.running and scheduler.jobs() == {}


# -- restarts --------------------------------------------------------------------------------------
async def _signed_up(settings: Settings, clock: ManualClock) -> tuple[int, int]:
    """A session on 26/11 14:00 with one person signed up; the app is closed afterwards."""
    async with open_runtime(settings, clock) as app:
        from bot.demo import seed_demo

        await seed_demo(app.services)
        session = await add_session(app, local(26, 14))
        person = await add_person(app, "lan")
        await service.sign_up(app.services, person, session.id)
        scheduler, _reminders = reminders_on_a_scheduler(app)
        await scheduler.start()
        await scheduler.stop()
        return session.id, person.id


async def test_restart_before_the_due_time_sends_nothing_early(
    settings: Settings, clock: ManualClock
) -> None:
    session_id, _user = await _signed_up(settings, clock)
    clock.set(local(25, 10))  # back up before the 1-day reminder (14:00)
    async with open_runtime(settings, clock) as app:
        scheduler, reminders = reminders_on_a_scheduler(app)
        report = (await scheduler.start())[reminders.name]
        try:
            assert report.queued == 0 and await outbox(app, "reminder:") == []
            assert scheduler.armed_for(reminders.name) == local(25, 14)
            clock.set(local(25, 14))
            assert (await scheduler.run(reminders)).queued == 1
        finally:
            await scheduler.stop()
        assert [r.purpose for r in await outbox(app, "reminder:")] == [f"reminder:{session_id}:1440"]


async def test_reminder_due_while_down_is_sent_at_start(settings: Settings, clock: ManualClock) -> None:
    session_id, _user = await _signed_up(settings, clock)
    clock.set(local(25, 16))  # down from before 14:00 until 16:00; the session is tomorrow
    async with open_runtime(settings, clock) as app:
        scheduler, reminders = reminders_on_a_scheduler(app)
        report = (await scheduler.start())[reminders.name]  # rebuilt from the database
        await scheduler.stop()
        assert report.queued == 1
        assert [r.purpose for r in await outbox(app, "reminder:")] == [f"reminder:{session_id}:1440"]
        rows = await app.services.store.read.sessions.reminders.for_session(session_id)
        assert {(r.offset_min, r.state) for r in rows} == {(1440, "queued"), (120, "pending")}


async def test_reminders_due_while_down_past_the_start_are_skipped_and_recorded(
    settings: Settings, clock: ManualClock
) -> None:
    session_id, _user = await _signed_up(settings, clock)
    clock.set(local(26, 14, 5))  # down through both reminders and the start
    async with open_runtime(settings, clock) as app:
        scheduler, reminders = reminders_on_a_scheduler(app)
        report = (await scheduler.start())[reminders.name]
        await scheduler.stop()
        assert report.queued == 0 and report.skipped == 2
        rows = {
            r.offset_min: r for r in await app.services.store.read.sessions.reminders.for_session(session_id)
        }
        assert (rows[120].state, rows[120].reason) == ("skipped", "session had begun")
        assert rows[1440].state == "skipped"
        assert await outbox(app, "reminder:") == []


async def test_a_reminder_is_never_sent_twice_across_restarts(settings: Settings, clock: ManualClock) -> None:
    await _signed_up(settings, clock)
    clock.set(local(25, 14))
    for _ in range(3):  # fire, then start again twice at the same moment and later
        async with open_runtime(settings, clock) as app:
            scheduler, reminders = reminders_on_a_scheduler(app)
            await scheduler.start()
            await scheduler.run(reminders)
            await scheduler.stop()
            assert len(await outbox(app, "reminder:")) == 1
        clock.advance(timedelta(minutes=30))


async def test_two_processes_on_one_database_never_double_send(
    settings: Settings, clock: ManualClock
) -> None:
    await _signed_up(settings, clock)
    clock.set(local(25, 14))
    async with open_runtime(settings, clock) as first, open_runtime(settings, clock) as second:
        (one, a), (other, b) = reminders_on_a_scheduler(first), reminders_on_a_scheduler(second)
        reports = await asyncio.gather(one.run(a), other.run(b), one.run(a), other.run(b))
        assert sum(r.queued for r in reports) == 1
        assert len(await outbox(first, "reminder:")) == 1


async def test_after_a_long_outage_only_the_latest_reminder_is_sent(
    settings: Settings, clock: ManualClock
) -> None:
    session_id, _user = await _signed_up(settings, clock)
    clock.set(local(26, 13))  # down through both reminders; the session starts in an hour
    async with open_runtime(settings, clock) as app:
        report = await ReminderWork(app.services).run_due()
        assert (report.queued, report.skipped) == (1, 1)
        assert [r.purpose for r in await outbox(app, "reminder:")] == [f"reminder:{session_id}:120"]
        rows = {
            r.offset_min: r for r in await app.services.store.read.sessions.reminders.for_session(session_id)
        }
        assert (rows[1440].state, rows[1440].reason) == ("skipped", "superseded by a later reminder")


async def test_after_a_night_outage_the_reminder_waits_for_the_morning(
    app: Runtime, clock: ManualClock
) -> None:
    session = await add_session(app, local(26, 8, 30))  # 2 h before is 06:30: planned 25/11 20:45
    person = await add_person(app, "lan")
    await service.sign_up(app.services, person, session.id)
    scheduler, reminders = reminders_on_a_scheduler(app)
    clock.set(local(25, 8, 30))
    await scheduler.run(reminders)  # the 1-day reminder
    clock.set(local(25, 23))  # the bot was down at 20:45 and comes back in quiet hours
    report = await scheduler.run(reminders)
    assert report.queued == 0 and report.postponed == 1
    assert scheduler.armed_for(reminders.name) == local(26, 7)
    clock.set(local(26, 7))
    assert (await scheduler.run(reminders)).queued == 1
    assert [r.purpose for r in await outbox(app, "reminder:")] == [
        f"reminder:{session.id}:1440",
        f"reminder:{session.id}:120",
    ]


async def test_night_outage_until_after_a_morning_start_skips(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 6, 30), offsets=(120,))  # due 25/11 20:45
    person = await add_person(app, "lan")
    await service.sign_up(app.services, person, session.id)
    clock.set(local(25, 23))
    report = await ReminderWork(app.services).run_due()
    assert report.skipped == 1 and await outbox(app, "reminder:") == []


# -- the person's setting and sign-up changes ------------------------------------------------------
async def test_reminders_off_with_nhacnho(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14))
    chat = Transcript(app.router, "fam")
    await chat.onboard()
    await chat.send(f"/lichhoc {session.id}")
    await chat.send("Đăng ký")
    text = await chat.send("/nhacnho")
    assert "đang bật" in text
    text = await chat.send("1")  # "Tắt nhắc lịch", typed as its number
    assert "Đã tắt nhắc lịch" in text
    reminders = ReminderWork(app.services)
    clock.set(local(25, 14))
    report = await reminders.run_due()
    assert report.skipped == 1 and await outbox(app, "reminder:") == []
    text = await chat.send("/nhacnho bat")
    assert "Đã bật" in text
    clock.set(local(26, 12))
    assert (await reminders.run_due()).queued == 1


async def test_cancelled_sign_up_gets_no_reminder(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14))
    person = await add_person(app, "lan")
    await service.sign_up(app.services, person, session.id)
    await service.cancel_signup(app.services, person, session.id)
    clock.set(local(26, 13))
    report = await ReminderWork(app.services).run_due()
    assert report.queued == 0 and await outbox(app, "reminder:") == []


async def test_cancelling_withdraws_a_reminder_not_yet_delivered(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14))
    lan, tom = await add_person(app, "lan"), await add_person(app, "tom")
    for person in (lan, tom):
        await service.sign_up(app.services, person, session.id)
    clock.set(local(25, 14))
    await ReminderWork(app.services).run_due()  # queued, the delivery worker has not sent it yet
    await service.cancel_signup(app.services, lan, session.id)
    states = {r.user_id: r.state for r in await outbox(app, "reminder:")}
    assert states == {lan.id: "cancelled", tom.id: "pending"}  # only her own is withdrawn


async def test_reminders_not_delivered_by_the_start_are_withdrawn(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14))
    person = await add_person(app, "lan")
    await service.sign_up(app.services, person, session.id)
    reminders = ReminderWork(app.services)
    clock.set(local(26, 12))
    await reminders.run_due()
    clock.set(local(26, 14))  # delivery was down: never remind after the event
    report = await reminders.run_due()
    assert report.closed_sessions >= 1
    assert {r.state for r in await outbox(app, "reminder:")} == {"cancelled"}


# -- changes and cancellation ------------------------------------------------------------------------
async def test_time_change_notifies_once_and_reschedules(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14), capacity=1)
    lan, tom = await add_person(app, "lan"), await add_person(app, "tom")
    await service.sign_up(app.services, lan, session.id)
    await service.sign_up(app.services, tom, session.id)  # waiting list
    reminders = ReminderWork(app.services)
    clock.set(local(25, 14))
    await reminders.run_due()  # lan's 1-day reminder for 26/11 is queued

    moved = service.SessionChanges(starts_at=local(28, 14))
    result = await service.update_session(app.services, session.id, moved, by="officer")
    assert result.notified == 2  # confirmed and waiting are both told
    again = await service.update_session(
        app.services, session.id, SessionChanges(starts_at=local(28, 14)), "x"
    )
    assert again.notified == 0  # the same time again is no change: nobody told twice
    changes = await outbox(app, "session-change:")
    assert sorted(r.user_id for r in changes) == [lan.id, tom.id]
    assert {r.purpose for r in changes} == {f"session-change:{session.id}:1"}
    text = await outbox_text(app, lan, f"session-change:{session.id}:1")
    assert "Thời gian mới: 14:00, Thứ Bảy, 28/11/2026" in text and "26/11/2026" in text

    rows = {
        r.offset_min: r
        for r in await app.services.store.read.sessions.reminders.for_person(session.id, lan.id)
    }
    assert rows[1440].state == "pending" and rows[1440].due_at == local(27, 14) and rows[1440].round == 1
    assert rows[120].due_at == local(28, 12)
    clock.set(local(27, 14))
    await reminders.run_due()
    purposes = [r.purpose for r in await outbox(app, "reminder:")]
    # The first reminder (old time) and a new one for the new time, under a new purpose.
    assert purposes == [f"reminder:{session.id}:1440", f"reminder:{session.id}:1440:1"]


async def test_place_change_notifies_without_moving_reminders(app: Runtime, clock: ManualClock) -> None:
    session = await add_session(app, local(26, 14))
    lan = await add_person(app, "lan")
    await service.sign_up(app.services, lan, session.id)
    before = await app.services.store.read.sessions.reminders.for_person(session.id, lan.id)
    result = await service.update_session(
        app.services, session.id, SessionChanges(place="Hội trường phường"), by="officer"
    )
    assert result.notified == 1
    text = await outbox_text(app, lan, f"session-change:{session.id}:1")
    assert "Địa điểm mới: Hội trường phường" in text
    after = await app.services.store.read.sessions.reminders.for_person(session.id, lan.id)
    assert [(r.due_at, r.state) for r in after] == [(r.due_at, r.state) for r in before]


async def test_cancelling_a_session_tells_everyone_and_stops_reminders(
    app: Runtime, clock: ManualClock
) -> None:
    session = await add_session(app, local(26, 14))
    people = [await add_person(app, name) for name in ("lan", "tom", "hoa")]
    for person in people:
        await service.sign_up(app.services, person, session.id)
    reminders = ReminderWork(app.services)
    clock.set(local(25, 14))
    await reminders.run_due()
    result = await service.cancel_session(app.services, session.id, by="officer")
    assert result.notified == 3
    notices = await outbox(app, "session-change:")
    assert len(notices) == 3 and {r.purpose for r in notices} == {f"session-change:{session.id}:1"}
    assert "đã bị hủy" in await outbox_text(app, people[0], f"session-change:{session.id}:1")
    assert {r.state for r in await outbox(app, "reminder:")} == {"cancelled"}  # queued, now withdrawn
    clock.set(local(26, 12))
    assert (await reminders.run_due()).queued == 0
    rows = await app.services.store.read.sessions.reminders.for_session(session.id)
    assert {r.state for r in rows if r.offset_min == 120} == {"cancelled"}
