"""Administrators in chat: one-time invites that make someone an officer of an area."""

from __future__ import annotations

from bot.context import Role
from bot.feature import Feature
from bot.i18n import N_
from bot.router import Command, Router
from handlers.admin import commands


class AdminFeature(Feature):
    name = "admin"

    def register(self, router: Router) -> None:
        router.add_command(
            Command(
                ("moi", "invite"),
                commands.invite_command,
                Role.ADMIN,
                N_("invite a new officer (administrators)"),
            )
        )
        router.on_payload("invite", commands.invite_button)
