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
import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.config import Settings

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.delivery.worker import ChannelLimits, DeliveryWorker
    from bot.feature import Feature
    from bot.leader import Leadership
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
    worker: DeliveryWorker | None = None  # set while this process holds the leader lease
    scheduler: Scheduler | None = None
    leadership: Leadership | None = None
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
    """The channels' status lines offered to the features, then — in the process that holds the
    leader lease (``bot.leader``) — the delivery worker sending the outbox through ``channels``
    and the scheduler with each feature's due work (reminders, announcements set for later:
    started after the worker, so what fell due while no leader ran goes out at once).

    A lone process leads from its first moment. Beside a leader (several processes on one
    PostgreSQL database) this process follows: it answers the people who write to it and takes
    over the worker and the scheduler within ``LEADER_CHECK_SECONDS`` when the leader dies.
    ``runtime.worker`` and ``runtime.scheduler`` are set while this process leads."""
    from bot.delivery.worker import DeliveryWorker
    from bot.leader import Leadership
    from bot.scheduler import Scheduler
    from bot.services import DELIVERY
    from storage.locks import LEADER

    services = runtime.services
    worker = DeliveryWorker(services.store, services.clock, channels, limits)
    scheduler = Scheduler(services)
    for feature in runtime.features.all():
        for work in feature.due_work(services):
            scheduler.add(work)

    async def lead() -> None:
        await worker.start()
        services.wakeups.connect(DELIVERY, worker.wake)
        try:
            await scheduler.start()
        except BaseException:
            services.wakeups.disconnect(DELIVERY)
            await worker.stop()
            raise
        runtime.worker, runtime.scheduler = worker, scheduler

    async def follow() -> None:
        runtime.worker = runtime.scheduler = None
        try:
            await scheduler.stop()
        finally:
            services.wakeups.disconnect(DELIVERY)
            await worker.stop()  # requests in flight finish and are recorded

    telling: set[asyncio.Task[None]] = set()

    def tell_leader(name: str) -> None:
        """A wake-up raised here while another process leads: tell that process."""
        if leadership.leading:
            return  # connected here; a name nobody handles is not sent round in circles
        task = asyncio.get_running_loop().create_task(
            services.store.db.tell_holder(LEADER, name), name=f"tell-leader:{name}"
        )
        telling.add(task)
        task.add_done_callback(told)

    def told(task: asyncio.Task[None]) -> None:
        telling.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The leader's sweep finds the row anyway; the wake-up only makes it sooner.
            log.warning("%s failed: %s", task.get_name(), task.exception())

    leadership = Leadership(
        services.store.db.session_lock(LEADER),
        lead,
        follow,
        runtime.settings.leader_check_seconds,
        told=services.wakeups.here,
    )
    async with AsyncExitStack() as stack:
        services.wakeups.forward_to(tell_leader)
        stack.callback(services.wakeups.forward_to, None)
        for channel in channels.values():
            services.status.connect(channel)
            stack.callback(services.status.disconnect, channel.name)
            services.menus.connect(channel)  # officers' own command menus, where a channel has them
            stack.callback(services.menus.disconnect, channel.name)
        if not await leadership.start():
            log.info(
                "another process holds the leader lease: this one answers its updates and takes over "
                "the delivery worker and the scheduler if that process stops"
            )
        stack.push_async_callback(leadership.stop)
        runtime.leadership = leadership
        try:
            yield worker
        finally:
            runtime.leadership = None


ChannelFactory = Callable[[Runtime], Mapping[str, "Channel"]]


@asynccontextmanager
async def serve(
    settings: Settings,
    clock: Clock | None = None,
    *,
    channels: ChannelFactory | None = None,
    seed_demo: bool = False,
    check_data: bool = True,
    background_work: bool = True,
) -> AsyncIterator[Runtime]:
    """The whole bot in one call: runtime, data checked, channels started, background running.

    ``channels`` builds the channels for a runtime (the terminal chat, a test's channel); by
    default the platforms configured in ``settings`` with their shared HTTP server.
    ``background_work=False`` leaves out the delivery worker and the scheduler (tests that drive
    them themselves, with their own policies and clock)."""
    async with AsyncExitStack() as stack:
        hold_database(settings, stack)
        runtime = await stack.enter_async_context(open_runtime(settings, clock))
        if channels is None:
            await hold_polling_locks(runtime, stack)  # refused before any data is loaded
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
        if background_work:
            await stack.enter_async_context(background(runtime, runtime.channels, limits))
        yield runtime


async def hold_polling_locks(runtime: Runtime, stack: AsyncExitStack) -> None:
    """One process polls a bot: getUpdates hands each update to one caller and Telegram answers a
    second poller with a conflict, so a second process polling the same token on this database is
    refused at start, with the way to run several (webhooks). The lock (``storage.locks``) is held
    until this process stops."""
    from bot.channels.base import StartError
    from storage.locks import polling_lock_name

    settings = runtime.settings
    polled = [
        (name, token)
        for name, token, webhook in (
            ("Telegram", settings.telegram_token, settings.telegram_webhook_url),
            ("Zalo", settings.zalo_token, settings.zalo_webhook_url),
        )
        if token and not webhook
    ]
    for platform, token in polled:
        lock = runtime.services.store.db.session_lock(polling_lock_name(platform.lower(), token))
        if not await lock.try_acquire():
            await lock.release()
            variable = f"{platform.upper()}_WEBHOOK_URL"
            raise StartError(
                f"another bot process is already polling {platform} for this bot on "
                f"{settings.database_label}; polling serves one process only — to run several "
                f"processes, set {variable} (webhook mode) on every one of them"
            )
        stack.push_async_callback(lock.release)


def hold_database(settings: Settings, stack: AsyncExitStack) -> None:
    """One serving process per SQLite file, for as long as it serves: a second one stops here
    with ``storage.db.DatabaseInUse`` (one line, naming the lock file and PostgreSQL for several
    processes). Commands that do not serve (admin, report) open the file beside it as before."""
    if settings.postgres_url:
        return
    from storage.db import ProcessLock

    lock = ProcessLock(settings.database_path)
    lock.acquire()
    stack.callback(lock.release)


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
