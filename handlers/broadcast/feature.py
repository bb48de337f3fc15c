"""Announcements: officers write to the people of their area; families can opt out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.context import Role
from bot.feature import Feature
from bot.i18n import N_
from bot.router import Command, Router
from bot.scheduler import DueWork
from bot.services import Services
from handlers.broadcast import commands, manage
from handlers.broadcast.scheduler import BroadcastProgress, ScheduledBroadcasts


class BroadcastFeature(Feature):
    name = "broadcast"

    def register(self, router: Router) -> None:
        router.add_flow(commands.BROADCAST_FLOW)
        router.add_command(
            Command(
                ("thongbao", "announce"),
                commands.broadcast_command,
                Role.OFFICER,
                N_("send an announcement to your area (officers)"),
                starts_flow=True,
            )
        )
        router.add_flow(manage.EDIT_FLOW)
        router.add_command(
            Command(
                ("dsthongbao", "announcements", "danhsachthongbao"),
                manage.list_command,
                Role.OFFICER,
                N_("announcements set for later: change the time or text, cancel; figures of those sent"),
            )
        )
        router.add_command(
            Command(
                ("guilai", "resend"),
                manage.resend_command,
                Role.OFFICER,
                N_("send an announcement again to those not confirmed"),
            )
        )
        router.on_payload(manage.LIST, manage.list_button)
        router.on_payload(manage.RESEND, manage.resend_button)
        router.add_command(
            Command(
                ("tatthongbao", "mute"),
                commands.mute_command,
                Role.FAMILY,
                N_("stop receiving announcements"),
            )
        )
        router.add_command(
            Command(
                ("batthongbao", "unmute"),
                commands.unmute_command,
                Role.FAMILY,
                N_("receive announcements again"),
                in_menu=False,
            )
        )

    def due_work(self, services: Services) -> Sequence[DueWork[Any]]:
        # Fans out announcements set for later when due; shows officers progress and the report.
        return (ScheduledBroadcasts(services), BroadcastProgress(services))
