"""Figures for officers and admins: people who joined, weekly figures, Excel/CSV exports."""

from __future__ import annotations

from bot.context import Role
from bot.feature import Feature
from bot.i18n import N_
from bot.router import Command, Router
from handlers.reports import commands, people


class ReportsFeature(Feature):
    name = "reports"

    def register(self, router: Router) -> None:
        router.add_command(
            Command(
                ("nguoidung", "people"),
                people.people_command,
                Role.OFFICER,
                N_("people who joined, by area (officers)"),
            )
        )
        router.add_command(
            Command(
                ("thongke", "stats"),
                commands.stats_command,
                Role.OFFICER,
                N_("weekly figures by area, with a chart (officers)"),
            )
        )
        router.add_command(
            Command(
                ("xuatbaocao", "export"),
                commands.export_command,
                Role.OFFICER,
                N_("weekly figures as Excel and CSV files (officers)"),
            )
        )
        router.on_payload(commands.VIEW, commands.view_button)
        router.on_payload(commands.EXPORT, commands.export_button)
