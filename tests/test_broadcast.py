"""Officer broadcasts through the outbox: audience, permissions, schedule, opt-out, report."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.bootstrap import Runtime, background, open_runtime
from bot.channels.console import ConsoleChannel
from bot.clock import Clock
from bot.config import Settings
from bot.context import Person
from bot.delivery.worker import ChannelLimits, DeliveryWorker
from bot.demo import seed_demo
from bot.model import Reply
from bot.scheduler import Scheduler
from handlers.broadcast.service import SCHEDULED, Audience, create
from tests.helpers import Transcript


class Platform:
    name = "console"

    def __init__(self) -> None:
        self.delivered: Counter[str] = Counter()
        self.texts: dict[str, list[str]] = {}
        self.arrived = asyncio.Event()

    async def deliver(self, chat_id: str, reply: Reply) -> None:
        self.delivered[chat_id] += 1
        self.texts.setdefault(chat_id, []).append(reply.text)
        self.arrived.set()


async def residents(app: Runtime, n: int, ward: int = 1) -> list[Transcript]:
    people = []
    for i in range(n):
        chat = Transcript(app.router, f"r{ward}-{i}")
        await chat.onboard(ward_number=ward)
        people.append(chat)
    return people


async def compose(officer: Transcript, text: str, *answers: str) -> str:
    await officer.send("/thongbao")
    await officer.send(answers[0] if answers else "1")
    await officer.send(text)
    await officer.send("khong")  # no picture
    await officer.send("1")  # send now
    return await officer.send("1")  # confirm


def setup(app: Runtime) -> tuple[Platform, DeliveryWorker, Scheduler]:
    """A terminal-like platform, the delivery worker, and the broadcast feature's due work on a
    scheduler (not started: tests run it with ``tick()`` after moving the clock)."""
    platform = Platform()
    worker = DeliveryWorker(
        app.services.store,
        app.services.clock,
        {"console": platform},
        {"console": ChannelLimits(per_second=0, per_chat_gap=0)},
    )
    scheduler = Scheduler(app.services)
    for work in app.features.broadcast.due_work(app.services):
        scheduler.add(work)
    return platform, worker, scheduler


async def test_officer_reaches_their_area_once_and_gets_a_report(app: Runtime) -> None:
    inside = await residents(app, 3, ward=1)  # Phường Liên Bảo, the demo officer's ward
    outside = await residents(app, 2, ward=2)
    await inside[2].send("/tatthongbao")
    officer = Transcript(app.router, "officer")
    text = await compose(officer, "Họp <dân> thôn 19h thứ Sáu & mời đủ các hộ.")
    assert "thông báo số 1" in text
    platform, worker, scheduler = setup(app)
    await worker.run_until_idle()
    await scheduler.tick()  # all rows final: the broadcast closes and the report is queued
    await worker.run_until_idle()
    assert platform.delivered["r1-0"] == 1 and platform.delivered["r1-1"] == 1
    assert platform.delivered["r1-2"] == 0  # opted out
    assert all(platform.delivered[o.user_id] == 0 for o in outside)
    body = platform.texts["r1-0"][0]
    assert "Họp &lt;dân&gt; thôn 19h thứ Sáu &amp; mời" in body and "/tatthongbao" in body
    report = platform.texts["officer"][-1]
    assert "số 1" in report and ": 3" in report  # r1-0, r1-1 and the demo admin, who lives there
    assert platform.delivered["admin"] == 1
    # Running again sends nothing new.
    await scheduler.tick()
    await worker.run_until_idle()
    assert sum(platform.delivered.values()) == 4  # three announcements and one report


async def test_family_cannot_broadcast_and_officer_cannot_pick_everyone(app: Runtime) -> None:
    family = (await residents(app, 1))[0]
    assert "chỉ dành cho cán bộ" in await family.send("/thongbao")
    officer = Transcript(app.router, "officer")
    await officer.send("/thongbao")
    text = await officer.send("6")  # "everyone who uses the bot" is offered to admins only
    assert "Ai sẽ nhận" in text


async def test_admin_can_write_to_everyone(app: Runtime) -> None:
    await residents(app, 1, ward=1)
    await residents(app, 1, ward=3)
    admin = Transcript(app.router, "admin")
    await admin.send("/thongbao")
    await admin.send("6")
    await admin.send("Thông báo chung toàn thành phố về Ngày Khuyến học 2/10.")
    await admin.send("khong")  # no picture
    await admin.send("1")
    await admin.send("1")
    platform, worker, _scheduler = setup(app)
    await worker.run_until_idle()
    assert platform.delivered["r1-0"] == 1 and platform.delivered["r3-0"] == 1
    assert platform.delivered["officer"] == 1


async def test_scheduled_broadcast_waits_for_its_time(app: Runtime) -> None:
    await residents(app, 1)
    officer = Transcript(app.router, "officer")
    await officer.send("/thongbao")
    await officer.send("1")
    await officer.send("Nhắc lịch họp bình xét gia đình học tập.")
    await officer.send("khong")  # no picture
    await officer.send("2")  # choose a time
    text = await officer.send("8h30 28/11")
    assert "28/11/2026" in text
    await officer.send("1")
    platform, worker, scheduler = setup(app)
    await scheduler.tick()
    await worker.run_until_idle()
    assert sum(platform.delivered.values()) == 0
    app.services.clock.advance(timedelta(days=4))
    await scheduler.tick()
    await worker.run_until_idle()
    assert platform.delivered["r1-0"] == 1


async def test_an_announcement_set_for_later_goes_out_at_its_time(settings: Settings) -> None:
    """Real time, the bot's own background: the scheduler's timer, armed for the announcement's
    time when it is stored, fans it out then — nothing polls for it."""
    async with open_runtime(settings, Clock()) as app:
        await seed_demo(app.services)
        [resident] = await residents(app, 1)
        admin = Person("console:admin", "console", "admin", "", "vi", is_admin=True)
        admin.user = await app.services.store.read.users.by_key("console:admin")
        platform = Platform()
        limits = {"console": ChannelLimits(per_second=0, per_chat_gap=0)}
        async with background(app, {"console": platform}, limits):
            assert app.scheduler is not None and app.scheduler.armed_for(SCHEDULED) is None
            when = app.services.clock.now() + timedelta(seconds=1)
            stored = await create(
                app.services, admin, Audience("everyone", None), "Họp tổng kết năm học.", when
            )
            assert stored.state == "scheduled" and sum(platform.delivered.values()) == 0
            async with asyncio.timeout(10):
                while not platform.delivered[resident.user_id]:
                    platform.arrived.clear()
                    await platform.arrived.wait()
            assert datetime.now(UTC) >= when
        assert platform.delivered[resident.user_id] == 1
        assert (await app.services.store.read.broadcasts.get(stored.id)).state in ("sending", "done")


async def test_the_author_sees_progress_on_one_status_line_then_the_report(app: Runtime) -> None:
    await residents(app, 2)
    status_lines: list[str] = []
    # The officer's terminal keeps the status line (a terminal prints each update as a new line).
    app.services.status.connect(ConsoleChannel(app.router, "officer", write=status_lines.append))
    officer = Transcript(app.router, "officer")
    await compose(officer, "Họp tổ dân phố lúc 19h thứ Sáu.")
    platform, worker, scheduler = setup(app)
    await scheduler.tick()
    assert status_lines == ["     … Đang gửi thông báo: 0/3"]  # two residents and the demo admin
    await scheduler.tick()
    assert len(status_lines) == 1  # nothing new to show
    await worker.run_until_idle()
    await scheduler.tick()  # every row final: closed, the report queued instead of more progress
    await worker.run_until_idle()
    assert len(status_lines) == 1
    assert "số 1" in platform.texts["officer"][-1] and ": 3" in platform.texts["officer"][-1]


async def test_bad_time_is_reasked(app: Runtime) -> None:
    officer = Transcript(app.router, "officer")
    await officer.send("/thongbao")
    await officer.send("1")
    await officer.send("Nội dung thông báo đủ dài.")
    await officer.send("khong")  # no picture
    await officer.send("2")
    text = await officer.send("hom qua")
    assert "8h30 28/11" in text
    text = await officer.send("8h 1/1/2020")
    assert "60" in text


async def test_audience_of_families_who_declared_or_not(app: Runtime) -> None:
    people = await residents(app, 3, ward=1)
    store = app.services.store
    now = app.services.clock.now()
    declared = await store.read.users.by_key("console:r1-0")
    async with store.write() as tx:
        await tx.declarations.create(
            user_id=declared.id,
            year=2026,
            area_id=declared.area_id,
            head_name="Nguyễn Văn An",
            head_fold="nguyen van an",
            data={},
            assessment=[],
            now=now,
        )
    officer = Transcript(app.router, "officer")
    text = await officer.send("/thongbao")
    assert "đã khai báo năm 2026 (1)" in text
    await compose_after_start(officer, "3", "Cảm ơn các gia đình đã khai báo.")
    await compose_after_start_from_scratch(officer, "4", "Nhắc các gia đình chưa khai báo năm nay.")
    platform, worker, _scheduler = setup(app)
    await worker.run_until_idle()
    assert platform.texts[people[0].user_id] == [platform.texts[people[0].user_id][0]]
    assert "Cảm ơn" in platform.texts[people[0].user_id][0]
    assert all("Nhắc" in platform.texts[p.user_id][0] for p in people[1:])
    assert all(len(platform.texts[p.user_id]) == 1 for p in people[1:])


async def test_audience_of_a_training_session(app: Runtime) -> None:
    from handlers.training import service as training

    people = await residents(app, 2, ward=1)
    [session] = await app.services.store.read.sessions.upcoming(
        [a.path for a in await app.services.store.read.areas.all()],
        ("family", "officer", "all"),
        app.services.clock.now(),
    )
    user = await app.services.store.read.users.by_key("console:r1-1")
    await training.sign_up(app.services, user, session.id)
    officer = Transcript(app.router, "officer")
    await officer.send("/thongbao")
    text = await officer.send("5")
    assert "Hội nghị tập huấn" in text
    await officer.send("1")
    await officer.send("Buổi tập huấn chuyển sang hội trường tầng 2.")
    await officer.send("khong")  # no picture
    await officer.send("1")
    await officer.send("1")
    platform, worker, _scheduler = setup(app)
    await worker.run_until_idle()
    assert platform.delivered[people[1].user_id] == 1
    assert platform.delivered[people[0].user_id] == 0


async def compose_after_start(officer: Transcript, choice: str, text: str) -> None:
    await officer.send(choice)
    await officer.send(text)
    await officer.send("khong")  # no picture
    await officer.send("1")
    await officer.send("1")


async def compose_after_start_from_scratch(officer: Transcript, choice: str, text: str) -> None:
    await officer.send("/thongbao")
    await compose_after_start(officer, choice, text)
