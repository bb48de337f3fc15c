"""Demo data so a newcomer sees the bot working at once: sample areas, an officer, a session.

Only used by the terminal chat (and ``python -m bot admin demo``); never by a real deployment.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path

from bot.areas_file import read_areas
from bot.services import Services

SAMPLE_AREAS = Path(str(resources.files("bot.demo") / "areas_vinh_yen.toml"))
DEMO_OFFICER = "console:officer"
DEMO_ADMIN = "console:admin"
DEMO_OFFICER_AREA = "lien_bao"
DEMO_NAMES = {DEMO_OFFICER: "Cán bộ khuyến học (demo)", DEMO_ADMIN: "Quản trị Hội Khuyến học (demo)"}


async def load_area_file(services: Services, path: Path) -> int:
    areas = read_areas(path)
    async with services.store.write() as tx:
        count = await tx.areas.upsert_many(areas)
        await tx.audit.record("cli", "areas.loaded", str(path), services.clock.now(), f"{count} areas")
    return count


async def seed_demo(services: Services) -> bool:
    """Seed once, into an empty database; return True when something was seeded."""
    if await services.store.read.areas.count() > 0:
        return False
    await load_area_file(services, SAMPLE_AREAS)
    now = services.clock.now()
    tz = services.settings.timezone
    day = (now.astimezone(tz) + timedelta(days=3)).date()
    starts = datetime.combine(day, time(8, 0), tz)
    async with services.store.write() as tx:
        for key, name, language in (
            (DEMO_OFFICER, DEMO_NAMES[DEMO_OFFICER], "vi"),
            (DEMO_ADMIN, DEMO_NAMES[DEMO_ADMIN], "vi"),
        ):
            user = await tx.users.create(
                key=key,
                channel="console",
                chat_id=key.split(":", 1)[1],
                display_name=name,
                language=language,
                now=now,
            )
            await tx.users.set_area(user.id, DEMO_OFFICER_AREA, now)
            if key == DEMO_OFFICER:
                await tx.users.grant(user.id, "officer", DEMO_OFFICER_AREA, "demo", now)
            else:
                await tx.users.grant(user.id, "admin", None, "demo", now)
        await tx.sessions.create(
            title="Hội nghị tập huấn: xây dựng “Gia đình học tập” (demo)",
            starts_at=starts,
            duration_min=150,
            place="Hội trường UBND phường Liên Bảo",
            audience="all",
            area_id=DEMO_OFFICER_AREA,
            capacity=60,
            description="Giới thiệu tiêu chí các danh hiệu học tập và cách tự khai báo qua chatbot.",
            created_by=DEMO_OFFICER,
            now=now,
        )
    return True
