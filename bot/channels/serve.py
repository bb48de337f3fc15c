"""Start the configured platforms together: Telegram and/or Zalo, and the HTTP server they share.

``python -m bot run`` uses this: each channel polls or takes webhooks as configured, one
server answers both webhooks, ``/healthz`` and the photos published for Zalo, and the
delivery worker gets each channel's ``deliver`` and rate.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from bot.channels.base import Channel, StartError
from bot.channels.webhook import PublicFiles, WebhookServer
from bot.config import Settings
from bot.delivery.worker import ChannelLimits
from bot.inbox import Inbox
from bot.router import Router
from bot.services import Services

log = logging.getLogger(__name__)


BULK_SHARE = 0.8


@dataclass(slots=True)
class Running:
    channels: dict[str, Channel] = field(default_factory=dict)
    server: WebhookServer | None = None
    inboxes: dict[str, Inbox] = field(default_factory=dict)

    async def inbox_report(self) -> dict[str, Any]:
        """Per platform, the updates waiting to be handled and how long the oldest has waited
        (shared by every process on a PostgreSQL database)."""
        report: dict[str, Any] = {}
        for name, inbox in self.inboxes.items():
            backlog = await inbox.backlog()
            waited = (inbox.clock.now() - backlog.oldest).total_seconds() if backlog.oldest else 0.0
            report[name] = {"backlog": backlog.count, "oldest_seconds": round(max(0.0, waited), 1)}
        return report

    def limits(self, settings: Settings) -> dict[str, ChannelLimits]:
        """The outbox gets BULK_SHARE of each platform's rate: the channel's own limiter caps all
        requests, so the rest keeps replies to people who write during a broadcast quick."""
        rates = {"telegram": settings.telegram_rate, "zalo": settings.zalo_rate}
        shared = {name: rate * BULK_SHARE for name, rate in rates.items() if name in self.channels}
        return {name: ChannelLimits(per_second=rate) for name, rate in shared.items()}


def build_channels(
    settings: Settings, router: Router, services: Services
) -> tuple[Running, PublicFiles | None]:
    """The configured channels and server, not started yet."""
    running = Running()
    files = None
    if settings.public_base_url:
        files = PublicFiles(settings.public_files_dir, settings.public_base_url)
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(settings, router, services)
        running.channels["telegram"], running.inboxes["telegram"] = telegram, telegram.inbox
    if settings.zalo_token:
        from bot.channels.zalo import ZaloChannel

        zalo = ZaloChannel(settings, router, files=files)
        running.channels["zalo"], running.inboxes["zalo"] = zalo, zalo.inbox
    port = settings.server_port
    if port is not None:
        endpoints = []
        for name, url in (("telegram", settings.telegram_webhook_url), ("zalo", settings.zalo_webhook_url)):
            channel = running.channels.get(name)
            endpoint = channel.endpoint(urlparse(url).path) if url and channel is not None else None
            if endpoint is not None:
                endpoints.append(endpoint)
        channels = running.channels
        running.server = WebhookServer(
            settings.webhook_listen,
            port,
            endpoints,
            files,
            health=lambda: {name: channel.healthy() for name, channel in channels.items()},
            inbox=running.inbox_report,
        )
    return running, files


@asynccontextmanager
async def serve_channels(settings: Settings, router: Router, services: Services) -> AsyncIterator[Running]:
    """Start the server first (webhooks may arrive as soon as they are set), then each channel."""
    running, _files = build_channels(settings, router, services)
    try:
        if running.server is not None:
            try:
                await running.server.start()
            except OSError as exc:
                raise StartError(
                    f"cannot listen on {settings.webhook_listen}:{running.server.requested_port} "
                    f"(WEBHOOK_LISTEN/WEBHOOK_PORT): {exc.strerror or exc}"
                ) from None
        for channel in running.channels.values():
            await start_channel(channel)
        yield running
    finally:
        for channel in reversed(list(running.channels.values())):
            try:
                await channel.stop()
            except Exception:
                log.exception("%s: error while stopping", channel.name)
        if running.server is not None:
            await running.server.stop()


async def start_channel(channel: Channel) -> None:
    """Start one channel, turning a refused token or an unreachable API into one clear line."""
    from telegram.error import InvalidToken, TelegramError

    from bot.channels.zalo import ZaloApiError, ZaloNetworkError

    try:
        await channel.start()
    except StartError:
        raise
    except InvalidToken:
        raise StartError("Telegram refused TELEGRAM_BOT_TOKEN: check the token BotFather gave you") from None
    except ZaloApiError as exc:
        if exc.error_code == 401:
            raise StartError(
                "Zalo refused ZALO_BOT_TOKEN (401): check the token shown in Zalo Bot Manager"
            ) from None
        raise StartError(f"Zalo Bot API error at start ({exc}); check ZALO_BASE_URL") from None
    except ZaloNetworkError as exc:
        raise StartError(f"cannot reach the Zalo Bot API ({exc}); check ZALO_BASE_URL") from None
    except TelegramError as exc:
        raise StartError(f"Telegram Bot API error at start: {exc}; check TELEGRAM_BASE_URL") from None
