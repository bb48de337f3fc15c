"""Onboarding: consent, home area, invites; and the commands everyone has (help, language, cancel)."""

from __future__ import annotations

from bot.context import Role
from bot.feature import Feature
from bot.i18n import N_
from bot.router import Command, Router
from handlers.onboarding import commands, consent
from handlers.onboarding.flows import AREA_FLOW


class OnboardingFeature(Feature):
    name = "onboarding"

    def __init__(self) -> None:
        self.consent = consent.Consent()
        # Links of the guest chain (bot.bootstrap declares the order).
        self.consent_answer = self.consent.answer
        self.consent_notice = self.consent.notice

    def register(self, router: Router) -> None:
        start_command, help_command = commands.make_start(self.consent)
        router.add_flow(AREA_FLOW)
        router.add_command(
            Command(("start", "batdau"), start_command, Role.GUEST, N_("start, or start again"))
        )
        router.add_command(
            Command(
                ("khuvuc", "area"),
                commands.change_area,
                Role.FAMILY,
                N_("change the area where you live"),
                starts_flow=True,
            )
        )
        router.add_command(Command(("trogiup", "help"), help_command, Role.GUEST, N_("what I can do")))
        router.add_command(
            Command(("ngonngu", "lang"), commands.lang_command, Role.FAMILY, N_("Tiếng Việt / English"))
        )
        router.add_command(
            Command(("huy", "cancel"), commands.cancel_command, Role.FAMILY, N_("cancel what you are doing"))
        )
        router.on_payload("lang", commands.lang_button)
        router.on_payload("consent", consent.answered_again, anywhere=True)
