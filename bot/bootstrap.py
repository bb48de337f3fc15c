"""The composition root: the only place in ``bot/`` that knows the features.

It builds the whole runtime in one call — settings, store, services, features (each with its
dependencies), the router with the registration order and the guest/fallback chain, then the
channels, the delivery worker and the scheduler with the features' due work. The CLI, the
benchmarks and the test fixtures all use it, so the app is assembled one way only.

Feature modules are imported inside functions: ``python -m bot ask`` builds its parser from here
without importing storage, APScheduler or python-telegram-bot.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.config import Settings

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.delivery.worker import ChannelLimits, DeliveryWorker
    from bot.feature import Feature
    from bot.router import HelpLayout, Router
    from bot.scheduler import Scheduler
    from bot.services import Services
    from handlers.admin.feature import AdminFeature
    from handlers.broadcast.feature import BroadcastFeature
    from handlers.declaration.feature import DeclarationFeature
    from handlers.faq.feature import FaqFeature
    from handlers.onboarding.feature import OnboardingFeature
    from handlers.privacy.feature import PrivacyFeature
    from handlers.reports.feature import ReportsFeature
    from handlers.training.feature import TrainingFeature


@dataclass(frozen=True, slots=True)
class Features:
    onboarding: OnboardingFeature
    declaration: DeclarationFeature
    training: TrainingFeature
    broadcast: BroadcastFeature
    privacy: PrivacyFeature
    reports: ReportsFeature
    admin: AdminFeature
    faq: FaqFeature

    def all(self) -> tuple[Feature, ...]:
        """Registration order: the order of commands in /trogiup and in the platforms' menus."""
        return (
            self.onboarding,
            self.declaration,
            self.training,
            self.broadcast,
            self.privacy,
            self.reports,
            self.admin,
            self.faq,
        )


def build_features(settings: Settings) -> Features:
    """Every feature, built once with its dependencies (data files load lazily)."""
    from handlers.admin.feature import AdminFeature
    from handlers.broadcast.feature import BroadcastFeature
    from handlers.declaration.criteria import configured_path
    from handlers.declaration.feature import DeclarationFeature
    from handlers.faq.feature import FaqFeature
    from handlers.onboarding.feature import OnboardingFeature
    from handlers.privacy.feature import PrivacyFeature
    from handlers.reports.feature import ReportsFeature
    from handlers.training.feature import TrainingFeature

    declaration = DeclarationFeature(configured_path(settings))
    training = TrainingFeature()
    faq = FaqFeature()
    return Features(
        onboarding=OnboardingFeature(),
        declaration=declaration,
        training=training,
        broadcast=BroadcastFeature(),
        # What /dulieu shows besides the profile, in this order.
        privacy=PrivacyFeature([declaration.personal_data, training.personal_data, faq.personal_data]),
        reports=ReportsFeature(),
        admin=AdminFeature(),
        faq=faq,
    )


def _help_layout() -> HelpLayout:
    """How /trogiup and the command menus show the features' commands, by role (the names are
    checked against the registered commands when the router is built)."""
    from bot.i18n import N_
    from bot.router import HelpGroup, HelpLayout

    return HelpLayout(
        family=(
            "khaibao",
            "xemkhaibao",
            "lichhoc",
            "nhacnho",
            "hoicanbo",
            "tatthongbao",
            "dulieu",
            "xoadulieu",
        ),
        officer=(
            HelpGroup(N_("Declarations"), ("duyet",)),
            HelpGroup(N_("Announcements"), ("thongbao", "dsthongbao", "guilai")),
            HelpGroup(N_("Training sessions"), ("taolop", "quanlylop")),
            HelpGroup(N_("Figures and reports"), ("nguoidung", "thongke", "xuatbaocao")),
            HelpGroup(N_("Questions from people"), ("cauhoichuatraloi", "taidulieu")),
            HelpGroup(N_("Administration"), ("moi", "cauhoi")),
        ),
        common=("khuvuc", "ngonngu", "huy", "trogiup", "start"),
    )


def build_router(services: Services, features: Features) -> Router:
    from bot.router import Router

    router = Router(services)
    for feature in features.all():
        feature.register(router)
    # Before consent: a consent answer first, then a question the knowledge base can answer
    # without storing anything, else the consent notice.
    router.set_guest_chain(
        features.onboarding.consent_answer, features.faq.guest, features.onboarding.consent_notice
    )
    router.set_help_layout(_help_layout())
    router.set_fallback(features.faq.free_text)
    router.set_question_handler(features.faq.answer_in_step)
    return router


@dataclass(slots=True)
class Runtime:
    settings: Settings
    services: Services
    features: Features
    router: Router
    worker: DeliveryWorker | None = None
    scheduler: Scheduler | None = None
    channels: dict[str, Channel] = field(default_factory=dict)

    def check_data(self) -> None:
        """Load every feature's data files now; raises ``bot.feature.DataError`` (one line)."""
        for feature in self.features.all():
            feature.check()


@asynccontextmanager
async def open_runtime(
    settings: Settings, clock: Clock | None = None, *, features: Features | None = None
) -> AsyncIterator[Runtime]:
    """Storage (migrations applied), services, features and router; nothing running yet."""
    from bot import i18n
    from bot.services import Services
    from storage.store import Store

    i18n.set_timezone(settings.timezone)
    store = await Store(settings.database_url).open()
    try:
        services = Services(settings=settings, store=store, clock=clock or Clock())
        built = features or build_features(settings)
        yield Runtime(settings, services, built, build_router(services, built))
    finally:
        await store.close()


@asynccontextmanager
async def background(
    runtime: Runtime,
    channels: Mapping[str, Channel],
    limits: Mapping[str, ChannelLimits] | None = None,
) -> AsyncIterator[DeliveryWorker]:
    """The delivery worker sending the outbox through ``channels``, the channels' status lines
    offered to the features, then the scheduler with each feature's due work (reminders,
    announcements set for later: started after the worker, so what fell due while the bot was
    down goes out at once); stopped in reverse order."""
    from bot.delivery.worker import DeliveryWorker
    from bot.scheduler import Scheduler
    from bot.services import DELIVERY

    services = runtime.services
    worker = DeliveryWorker(services.store, services.clock, channels, limits)
    scheduler = Scheduler(services)
    for feature in runtime.features.all():
        for work in feature.due_work(services):
            scheduler.add(work)
    async with AsyncExitStack() as stack:
        await worker.start()
        stack.push_async_callback(worker.stop)
        services.wakeups.connect(DELIVERY, worker.wake)
        stack.callback(services.wakeups.disconnect, DELIVERY)
        for channel in channels.values():
            services.status.connect(channel)
            stack.callback(services.status.disconnect, channel.name)
            services.menus.connect(channel)  # officers' own command menus, where a channel has them
            stack.callback(services.menus.disconnect, channel.name)
        await scheduler.start()
        stack.push_async_callback(scheduler.stop)
        runtime.worker, runtime.scheduler = worker, scheduler
        try:
            yield worker
        finally:
            runtime.worker = runtime.scheduler = None


ChannelFactory = Callable[[Runtime], Mapping[str, "Channel"]]


@asynccontextmanager
async def serve(
    settings: Settings,
    clock: Clock | None = None,
    *,
    channels: ChannelFactory | None = None,
    seed_demo: bool = False,
    check_data: bool = True,
) -> AsyncIterator[Runtime]:
    """The whole bot in one call: runtime, data checked, channels started, background running.

    ``channels`` builds the channels for a runtime (the terminal chat, a test's channel); by
    default the platforms configured in ``settings`` with their shared HTTP server."""
    async with AsyncExitStack() as stack:
        runtime = await stack.enter_async_context(open_runtime(settings, clock))
        if check_data:
            runtime.check_data()
        if seed_demo:
            from bot.demo import seed_demo as seed

            await seed(runtime.services)
        if channels is None:
            from bot.channels.serve import serve_channels

            running = await stack.enter_async_context(
                serve_channels(settings, runtime.router, runtime.services)
            )
            runtime.channels = dict(running.channels)
            limits = running.limits(settings)
        else:
            runtime.channels = dict(channels(runtime))
            for channel in runtime.channels.values():
                await channel.start()
                stack.push_async_callback(channel.stop)
            limits = None
        await stack.enter_async_context(background(runtime, runtime.channels, limits))
        yield runtime


# -- the command line of each feature ---------------------------------------------------------
def add_feature_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    admin: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Each feature adds its commands; a parser sets ``run`` (``async (args, services) -> int``)
    or ``run_offline`` (``(args) -> int``, no database). The modules import little at top level."""
    for module in feature_cli_modules():
        module.add_parsers(commands, admin)


def ask(argv: Sequence[str]) -> int:
    """``python -m bot ask``, importing only the Q&A (scripts call it once per run)."""
    from handlers.faq import cli as faq_cli

    return faq_cli.main(argv)


def feature_cli_modules() -> Sequence[Any]:
    from handlers.admin import cli as admin_cli
    from handlers.broadcast import cli as broadcast_cli
    from handlers.declaration import cli as declaration_cli
    from handlers.faq import cli as faq_cli
    from handlers.reports import cli as reports_cli
    from handlers.training import cli as training_cli

    return (admin_cli, training_cli, broadcast_cli, faq_cli, reports_cli, declaration_cli)
