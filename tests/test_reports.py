"""Weekly reports in the chat: week boundaries, empty weeks, areas and who may see them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.accounts import grant_role
from bot.bootstrap import Runtime
from handlers.reports.build import build_report
from handlers.reports.commands import payload
from handlers.reports.export import iso_week
from storage.areas import AreaInput
from storage.events import week_of
from tests.helpers import Transcript

VN = ZoneInfo("Asia/Ho_Chi_Minh")
THIS_WEEK = date(2026, 11, 23)  # the clock starts on Tuesday 24/11/2026 (see conftest)


def local(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=VN)


async def record(
    app: Runtime, kind: str, area_id: str | None, when: datetime, channel: str = "telegram"
) -> None:
    async with app.services.store.write() as tx:
        await tx.events.record(kind, area_id, channel, when)


def table_row(text: str, label: str) -> list[str]:
    """[label, numbers…] of the chat table row that starts with ``label``."""
    for line in text.splitlines():
        if line.startswith(label + " "):
            return [label, *line[len(label) :].split()]
    raise AssertionError(f"no row {label!r} in:\n{text}")


async def test_sunday_2359_and_monday_0000_local_fall_in_different_weeks(app: Runtime) -> None:
    sunday_night = local(2026, 11, 22, 23, 59)
    monday_midnight = local(2026, 11, 23, 0, 0)
    # Stored in UTC: 16:59 and 17:00 on the same UTC Sunday.
    assert (
        sunday_night.astimezone(ZoneInfo("UTC")).date() == monday_midnight.astimezone(ZoneInfo("UTC")).date()
    )
    assert week_of(sunday_night) == date(2026, 11, 16)
    assert week_of(monday_midnight) == date(2026, 11, 23)
    await record(app, "user.registered", "lien_bao.tdp1", sunday_night)
    await record(app, "user.registered", "lien_bao.tdp1", monday_midnight)

    report = await build_report(app.services, None, 2)
    assert report.weeks == (date(2026, 11, 16), date(2026, 11, 23))
    assert report.total.get(date(2026, 11, 16), "user.registered") == 1
    assert report.total.get(date(2026, 11, 23), "user.registered") == 1

    admin = Transcript(app.router, "admin")
    text = await admin.send("/thongke 2")
    assert table_row(text, "16/11")[1] == "1"
    assert table_row(text, "23/11*")[1] == "1"
    assert table_row(text, "Cộng")[1] == "2"


def test_iso_weeks_across_the_new_year() -> None:
    assert week_of(local(2026, 1, 1)) == date(2025, 12, 29)
    assert iso_week(date(2025, 12, 29)) == "2026-W01"
    assert iso_week(date(2026, 11, 23)) == "2026-W48"


async def test_empty_weeks_show_as_zero(app: Runtime) -> None:
    await record(app, "training.signup", "lien_bao.tdp2", local(2026, 11, 4))  # week of 02/11
    await record(app, "training.signup", "lien_bao.tdp2", local(2026, 11, 19))  # week of 16/11
    admin = Transcript(app.router, "admin")
    text = await admin.send("/thongke 4")
    assert table_row(text, "02/11")[1:] == ["0", "0", "0", "0", "1", "0", "0"]
    assert table_row(text, "09/11")[1:] == ["0", "0", "0", "0", "0", "0", "0"]
    assert table_row(text, "16/11")[1:] == ["0", "0", "0", "0", "1", "0", "0"]
    assert table_row(text, "23/11*")[1:] == ["0", "0", "0", "0", "0", "0", "0"]
    # The weeks before the first event are there too, as zeros.
    report = await build_report(app.services, None, 8)
    assert len(report.weeks) == 8 and report.weeks[-1] == THIS_WEEK
    assert [report.total.get(w, "training.signup") for w in report.weeks] == [0, 0, 0, 0, 1, 0, 1, 0]


async def test_numbers_use_vietnamese_formats(app: Runtime) -> None:
    async with app.services.store.write() as tx:
        for _ in range(1234):
            await tx.events.record("user.registered", "hoi_hop.thon_dong_hoa", "zalo", local(2026, 11, 10))
    admin = Transcript(app.router, "admin")
    text = await admin.send("/thongke")
    assert table_row(text, "09/11")[1] == "1.234"
    assert "Zalo 1.234" in text


async def test_admin_drills_down_by_button_and_by_typing(app: Runtime) -> None:
    await record(app, "user.registered", "lien_bao.tdp1", local(2026, 11, 10))
    await record(app, "declaration.submitted", "lien_bao.tdp3", local(2026, 11, 11))
    await record(app, "user.registered", "hoi_hop.thon_xuan_hoa", local(2026, 11, 12), channel="zalo")
    admin = Transcript(app.router, "admin")
    text = await admin.send("/thongke")
    assert "Thống kê theo tuần — Thành phố Vĩnh Yên (mẫu)" in text
    assert table_row(text, "P. Liên Bảo")[1:3] == ["1", "1"]
    assert table_row(text, "P. Hội Hợp")[1:3] == ["1", "0"]
    assert "Người mới tham gia theo kênh: Telegram 1 · Zalo 1" in text
    assert "rpt:8:lien_bao" in admin.buttons and "rptx:8:vinh_yen" in admin.buttons
    assert all(len(p.encode()) <= 64 for p in admin.buttons)
    photos = [r.photo for r in admin.replies if r.photo is not None]
    assert len(photos) == 1 and photos[0].mime_type == "image/png"

    text = await admin.send("1")  # the first button, typed: Phường Liên Bảo
    assert "Thống kê theo tuần — Phường Liên Bảo" in text
    assert table_row(text, "TDP 1")[1:3] == ["1", "0"]
    assert table_row(text, "TDP 3")[1:3] == ["0", "1"]
    assert "⬆ Thành phố Vĩnh Yên (mẫu)" in text

    text = await admin.press("rpt:8:lien_bao.tdp1")
    assert "Thống kê theo tuần — Tổ dân phố 1" in text
    assert "Theo địa bàn" not in text  # a village has nothing below it

    text = await admin.send("/thongke p lien bao 4 tuan")
    assert "Thống kê theo tuần — Phường Liên Bảo" in text and "4 tuần gần nhất" in text


async def test_a_typed_area_that_matches_several_offers_a_choice(app: Runtime) -> None:
    admin = Transcript(app.router, "admin")
    text = await admin.send("/thongke tdp 1")  # "Tổ dân phố 1" of three wards
    assert "Có nhiều địa bàn khớp" in text
    assert "Tổ dân phố 1 (Phường Đống Đa)" in text
    assert admin.buttons == ["rpt:8:dong_da.tdp1", "rpt:8:lien_bao.tdp1", "rpt:8:ngo_quyen.tdp1"]
    text = await admin.send("1")
    assert "Thống kê theo tuần — Tổ dân phố 1" in text and "⬆ Phường Đống Đa" in text
    text = await admin.send("/thongke 0")
    assert "từ 1 đến 156" in text


async def test_officer_sees_only_their_own_area(app: Runtime) -> None:
    await record(app, "user.registered", "lien_bao.tdp2", local(2026, 11, 10))
    await record(app, "user.registered", "hoi_hop.thon_dong_hoa", local(2026, 11, 10))
    await record(app, "user.registered", "hoi_hop.thon_dong_hoa", local(2026, 11, 11))
    officer = Transcript(app.router, "officer")  # officer of Phường Liên Bảo
    text = await officer.send("/thongke")
    assert "Thống kê theo tuần — Phường Liên Bảo" in text
    assert table_row(text, "Cộng")[1] == "1"
    assert "Hội Hợp" not in text and "Vĩnh Yên" not in text
    assert not any(p.endswith(("vinh_yen", "hoi_hop", ":*")) for p in officer.buttons)

    text = await officer.send("/thongke hoi hop")
    assert "không tìm thấy “hoi hop” trong địa bàn bạn phụ trách" in text
    assert "Hội Hợp" not in text.replace("hoi hop", "")

    # Forged buttons are checked on the server: another ward, the city, everything, exports.
    long_id_area = AreaInput("x" * 70, "hoi_hop", "Thôn có mã rất dài", "village")
    async with app.services.store.write() as tx:
        await tx.areas.upsert_many([long_id_area])
    hidden = await app.services.store.read.areas.get("x" * 70)
    assert hidden is not None
    for forged in ("rpt:8:hoi_hop", "rpt:8:vinh_yen", "rpt:8:*", "rptx:8:hoi_hop", payload("rpt", 8, hidden)):
        text = await officer.press(forged)
        assert "Bạn chỉ xem được số liệu của địa bàn mình phụ trách: Phường Liên Bảo" in text, forged
        assert not any(r.photo or r.document for r in officer.replies)

    text = await officer.press("rpt:8:lien_bao.tdp2")
    assert "Thống kê theo tuần — Tổ dân phố 2" in text and table_row(text, "Cộng")[1] == "1"
    assert "⬆ Phường Liên Bảo" in text


async def test_families_cannot_see_reports(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()
    for command in ("/thongke", "/xuatbaocao"):
        assert "chỉ dành cho cán bộ" in await chat.send(command)
    text = await chat.press("rpt:8:lien_bao")
    assert "chỉ dành cho cán bộ" in text
    assert not any(r.photo for r in chat.replies)


async def test_long_area_ids_travel_as_a_short_hash(app: Runtime) -> None:
    area_id = "vinh_yen.phuong_co_ma_dinh_danh_rat_dai_theo_danh_muc_hanh_chinh_moi"
    async with app.services.store.write() as tx:
        await tx.areas.upsert_many([AreaInput(area_id, "vinh_yen", "Phường Mới", "ward")])
    await record(app, "user.registered", area_id, local(2026, 11, 10))
    area = await app.services.store.read.areas.get(area_id)
    assert area is not None
    button = payload("rpt", 52, area)
    assert len(button.encode()) <= 64 and area_id not in button
    admin = Transcript(app.router, "admin")
    text = await admin.press(button)
    assert "Thống kê theo tuần — Phường Mới" in text and "52 tuần gần nhất" in text


async def test_counts_survive_a_person_deleting_their_data(app: Runtime, chat: Transcript) -> None:
    await chat.onboard()  # Phường Liên Bảo, Tổ dân phố 1: one "user.registered" event
    before = await build_report(app.services, None, 1)
    assert before.total.get(THIS_WEEK, "user.registered") == 1
    await chat.send("/xoadulieu")
    await chat.send("1")
    assert await app.services.store.read.users.by_key("console:fam") is None
    after = await build_report(app.services, None, 1)
    assert after.total.get(THIS_WEEK, "user.registered") == 1
    lien_bao = await app.services.store.read.areas.get("lien_bao")
    ward = await build_report(app.services, lien_bao, 1)
    assert ward.parts[0].series.get(THIS_WEEK, "user.registered") == 1


async def test_exports_in_the_chat(app: Runtime) -> None:
    await record(app, "declaration.approved", "lien_bao.tdp1", local(2026, 11, 10))
    officer = Transcript(app.router, "officer")
    text = await officer.send("/xuatbaocao")
    assert "Phường Liên Bảo" in text
    documents = [r.document for r in officer.replies if r.document is not None]
    names = sorted(d.filename for d in documents)
    assert names == [
        "thongke_lien_bao_20261005_20261129.csv",
        "thongke_lien_bao_20261005_20261129.xlsx",
    ]
    assert documents[0].data[:2] == b"PK"  # a zip: XLSX
    assert documents[1].data.startswith(b"\xef\xbb\xbf")


async def test_a_ward_with_many_villages_fits_in_telegram_messages(app: Runtime) -> None:
    villages = [
        AreaInput(f"tich_son.x{i:02d}", "tich_son", f"Tổ dân phố số {i}", "group", i) for i in range(70)
    ]
    async with app.services.store.write() as tx:
        await tx.areas.upsert_many(villages)
    await record(app, "user.registered", "tich_son.x65", local(2026, 11, 10))
    admin = Transcript(app.router, "admin")
    text = await admin.send("/thongke p tich son 52")
    assert "… và 12 địa bàn khác" in text  # 72 villages, 60 shown
    assert all(len(r.text) < 4096 for r in admin.replies)
    assert len(admin.buttons) == 60 + 3  # the areas shown, up, 8 weeks, files
    assert table_row(text, "Cộng")[1] == "1"


async def test_several_top_level_areas_give_an_everything_view(app: Runtime) -> None:
    async with app.services.store.write() as tx:
        await tx.areas.upsert_many([AreaInput("phuc_yen", None, "Thành phố Phúc Yên (mẫu)", "city")])
    await record(app, "user.registered", "phuc_yen", local(2026, 11, 10))
    await record(app, "user.registered", "lien_bao.tdp1", local(2026, 11, 10))
    await record(app, "user.registered", None, local(2026, 11, 10))  # no area known
    admin = Transcript(app.router, "admin")
    text = await admin.send("/thongke")
    assert "Thống kê theo tuần — Tất cả địa bàn" in text
    assert table_row(text, "Cộng")[1] == "3"
    assert table_row(text, "TP Vĩnh Yên…")[1] == "1"
    assert table_row(text, "(chưa rõ đị…")[1] == "1"
    text = await admin.press("rpt:8:phuc_yen")
    assert "⬆ Tất cả địa bàn" in text
    officer = Transcript(app.router, "officer")
    assert "chỉ xem được số liệu của địa bàn mình" in await officer.press("rpt:8:*")


async def test_zalo_gets_a_line_per_row_instead_of_a_table(app: Runtime) -> None:
    zalo = Transcript(app.router, "z1", channel="zalo")
    await zalo.onboard()  # Phường Liên Bảo, Tổ dân phố 1: counted this week, on Zalo
    await grant_role(app.services, "zalo:z1", "officer", "lien_bao", by="test")
    await record(app, "training.signup", "lien_bao.tdp2", local(2026, 11, 17), channel="zalo")
    text = await zalo.send("/thongke 2")
    assert "<pre>" not in "".join(r.text for r in zalo.replies)
    assert "• 16/11: Mới 0 · KB 0 · Duyệt 0 · Trả 0 · TH 1 · Chờ 0 · Hủy 0" in text
    assert "• 23/11*: Mới 1 · KB 0 · Duyệt 0 · Trả 0 · TH 0 · Chờ 0 · Hủy 0" in text
    assert "• Tổ dân phố 2: Mới 0 · KB 0 · Duyệt 0 · Trả 0 · TH 1 · Chờ 0 · Hủy 0" in text
    assert "Người mới tham gia theo kênh: Zalo 1" in text


async def test_people_lines_add_up_to_the_total(app: Runtime) -> None:
    for number, village in enumerate((1, 1, 2)):
        await Transcript(app.router, f"p{number}").onboard(1, village)
    officer = Transcript(app.router, "officer")
    text = await officer.send("/nguoidung")
    # The demo officer and admin live in the ward itself, without a village: a line of their own.
    assert "Tổng số: 5" in text
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert "• Tổ dân phố 1: 2" in lines and "• Tổ dân phố 2: 1" in lines
    assert "• ở Phường Liên Bảo, chưa chọn thôn/tổ dân phố: 2" in lines
    assert sum(int(line.rsplit(": ", 1)[1]) for line in lines) == 5


async def test_the_area_rows_add_up_to_the_total_row(app: Runtime) -> None:
    await record(app, "user.registered", "lien_bao.tdp1", local(2026, 11, 10))
    await record(app, "user.registered", "lien_bao", local(2026, 11, 10))  # the ward itself
    await record(app, "training.waiting", "lien_bao.tdp2", local(2026, 11, 10))
    officer = Transcript(app.router, "officer")
    text = await officer.send("/thongke 4")
    breakdown = text[text.index("Theo địa bàn") :]
    assert table_row(breakdown, "TDP 1")[1] == "1" and table_row(breakdown, "(khác)")[1] == "1"
    assert table_row(breakdown, "Cộng")[1] == "2"
    assert table_row(breakdown, "TDP 2")[6] == "1"  # the waiting list: its own column
    assert table_row(breakdown, "TDP 2")[5] == "0"
