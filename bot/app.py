"""The composition root: configuration, storage, router, handlers and channels built in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot import i18n
from bot.broadcast import BroadcastMonitor
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import ChannelLimits, DeliveryWorker
from bot.delivery_errors import Deliverer
from bot.router import Router
from bot.scheduler import ReminderScheduler
from bot.services import Services
from handlers import (
    admin,
    broadcast,
    declaration,
    faq,
    help,
    officer,
    privacy,
    reports,
    review,
    start,
    training,
)
from storage.store import Store

# Registration order is the order of commands in /help and in the platforms' menus.
HANDLER_MODULES = (
    start,
    declaration,
    training,
    broadcast,
    privacy,
    help,
    review,
    officer,
    reports,
    admin,
    faq,
)


@dataclass(slots=True)
class App:
    settings: Settings
    services: Services
    router: Router


def build_router(services: Services) -> Router:
    router = Router(services)
    for module in HANDLER_MODULES:
        module.register(router)
    return router


@asynccontextmanager
async def open_app(settings: Settings, clock: Clock | None = None) -> AsyncIterator[App]:
    """Open storage (applying migrations) and wire everything; close it all on exit."""
    i18n.set_timezone(settings.timezone)
    store = await Store(settings.database_url).open()
    try:
        services = Services(settings=settings, store=store, clock=clock or Clock())
        yield App(settings=settings, services=services, router=build_router(services))
    finally:
        await store.close()


@asynccontextmanager
async def running(
    app: App, deliverers: Mapping[str, Deliverer], limits: Mapping[str, ChannelLimits] | None = None
) -> AsyncIterator[DeliveryWorker]:
    """Background work while channels run: the delivery worker, the broadcast monitor and the
    reminder scheduler (started after the worker, so reminders due at start-up go out at once)."""
    worker = DeliveryWorker(app.services.store, app.services.clock, deliverers, limits)
    monitor = BroadcastMonitor(app.services, deliverers)
    reminders = ReminderScheduler(app.services)
    await worker.start()
    app.services.wake_delivery = worker.wake
    await monitor.start()
    await reminders.start()  # rebuilt from the database; sends what fell due while down
    try:
        yield worker
    finally:
        await reminders.stop()
        await monitor.stop()
        app.services.wake_delivery = lambda: None
        await worker.stop()
