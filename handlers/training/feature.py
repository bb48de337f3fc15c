"""Training sessions: the schedule, sign-ups with a waiting list, reminders, officers' sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import i18n
from bot.context import Role, Turn
from bot.feature import DataSection, Feature
from bot.i18n import N_, _
from bot.router import Command, Router
from bot.scheduler import DueWork
from bot.services import Services
from bot.text import esc
from handlers.training import commands, manage
from handlers.training.flows import CANCEL_SESSION_FLOW, SESSION_FLOW
from handlers.training.scheduler import ReminderWork


class TrainingFeature(Feature):
    name = "training"

    def register(self, router: Router) -> None:
        router.add_flow(SESSION_FLOW)
        router.add_flow(CANCEL_SESSION_FLOW)
        router.add_command(
            Command(
                ("lichhoc", "sessions"),
                commands.schedule_command,
                Role.FAMILY,
                N_("upcoming training sessions"),
            )
        )
        router.add_command(
            Command(
                ("nhacnho", "reminders"),
                commands.reminders_command,
                Role.FAMILY,
                N_("turn session reminders on or off"),
            )
        )
        router.add_command(
            Command(
                ("huydangky", "leave"),
                commands.leave_command,
                Role.FAMILY,
                N_("cancel a sign-up for a session"),
                in_menu=False,
            )
        )
        router.on_payload("tr", commands.on_button)
        router.add_command(
            Command(
                ("taolop", "newsession"),
                manage.create_command,
                Role.OFFICER,
                N_("create a training session (officers)"),
                starts_flow=True,
            )
        )
        router.add_command(
            Command(
                ("quanlylop", "mysessions"),
                manage.my_sessions_command,
                Role.OFFICER,
                N_("sessions of your area: sign-ups, attendance, changes (officers)"),
            )
        )
        router.on_payload("tro", manage.on_button)

    def due_work(self, services: Services) -> Sequence[DueWork[Any]]:
        # Rebuilt from the database at start: sends what fell due while the bot was down.
        return (ReminderWork(services),)

    async def personal_data(self, turn: Turn) -> DataSection:
        user = turn.person.user
        assert user is not None
        signups = await turn.services.store.read.sessions.signups.history_for_user(user.id)
        if not signups:
            return DataSection()
        lines = [_("• Training sessions you signed up for:")]
        status_names = {
            "confirmed": _("place confirmed"),
            "waiting": _("waiting list"),
            "cancelled": _("cancelled"),
        }
        for title, starts_at, status, attended in signups:
            note = status_names.get(status, status)
            if attended is not None:
                note += ", " + (_("attended") if attended else _("absent"))
            lines.append(f"   {esc(title)} — {i18n.fmt_datetime(starts_at)}: {note}")
        return DataSection(lines=lines)
