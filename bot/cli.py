"""The command line: ``python -m bot run | chat | admin …``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot import accounts
from bot.app import App, open_app, running
from bot.areas_file import AreaFileError
from bot.config import ConfigError, Settings, load_settings
from bot.demo import DEMO_ADMIN, DEMO_OFFICER, load_area_file, seed_demo
from handlers.declaration import cli as criteria_cli
from handlers.faq import cli as faq_cli
from handlers.reports import cli as report_cli
from handlers.training import cli as training_cli

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="khuyenhoc-bot: the Study Promotion Association's chatbot (Telegram, Zalo, terminal).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot on the configured platforms (the terminal chat when none is configured)",
        description="Run the bot on Telegram and/or Zalo (TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN); "
        "otherwise open the terminal chat on a local database with demo data.",
    )
    run.add_argument("--verbose", action="store_true", help="log more detail")

    chat = sub.add_parser(
        "chat",
        help="talk to the bot in this terminal",
        description="Talk to the bot in this terminal, as a family, an officer or an admin. "
        "Type /quit to leave.",
    )
    chat.add_argument(
        "--as",
        dest="as_role",
        choices=("family", "officer", "admin"),
        default="family",
        help="who you are in the demo (default: family)",
    )
    chat.add_argument("--user", help="your user id in the terminal (default: family, officer or admin)")
    chat.add_argument("--name", default="", help="your display name")
    chat.add_argument("--no-demo", action="store_true", help="do not seed demo data into an empty database")

    admin = sub.add_parser(
        "admin", help="manage roles, invites, areas and users", description="Administration."
    )
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")

    grant = admin_sub.add_parser("grant", help="give someone a role (they must have started the bot)")
    grant.add_argument("user", help="channel-qualified id, e.g. telegram:12345")
    grant.add_argument("--role", required=True, choices=accounts.ROLES)
    grant.add_argument("--area", help="the area an officer serves (an area id)")

    revoke = admin_sub.add_parser("revoke", help="take a role away")
    revoke.add_argument("user", help="channel-qualified id, e.g. telegram:12345")
    revoke.add_argument("--role", required=True, choices=accounts.ROLES)

    invite = admin_sub.add_parser("invite", help="create a one-time invite link that grants a role")
    invite.add_argument("--role", default="officer", choices=accounts.ROLES)
    invite.add_argument("--area", help="the area an officer will serve (an area id)")
    invite.add_argument("--days", type=int, default=accounts.INVITE_DAYS, help="days the invite stays valid")
    invite.add_argument("--bot-username", help="Telegram username of the bot, to print a t.me link")

    areas = admin_sub.add_parser("areas", help="load or list the tree of wards and villages")
    areas_sub = areas.add_subparsers(dest="areas_command", required=True, metavar="ACTION")
    load = areas_sub.add_parser("load", help="load areas from a TOML or CSV file (adds or updates)")
    load.add_argument("file", type=Path)
    areas_sub.add_parser("list", help="print the area tree with ids")

    training_cli.add_parser(admin_sub)  # admin sessions import|list

    users = admin_sub.add_parser("users", help="list people who joined")
    users.add_argument("--area", help="only this area and below (an area id)")
    users.add_argument("--limit", type=int, default=50)

    admin_sub.add_parser("demo", help="seed demo data into an empty database")

    broadcasts = admin_sub.add_parser("broadcasts", help="list announcements with their delivery figures")
    broadcasts.add_argument("--limit", type=int, default=20)

    faq_cli.add_parser(sub)  # ask
    report_cli.add_parser(sub)  # report weekly
    criteria_cli.add_parser(sub)  # criteria [FILE]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ask":  # the knowledge base only: no settings, no database
        return faq_cli.run_without_app(args)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    serving = args.command == "run" and (settings.telegram_token or settings.zalo_token)
    level = logging.INFO if serving else logging.WARNING  # the terminal chat stays uncluttered
    if getattr(args, "verbose", False):
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every request URL, token included
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # every job run, at INFO
    try:
        if args.command == "run":
            return asyncio.run(run_command(settings))
        if args.command == "chat":
            return asyncio.run(chat_command(settings, args.as_role, args.user, args.name, not args.no_demo))
        if args.command == "report":
            return asyncio.run(with_app(settings, args, report_cli.run))
        if args.command == "criteria":
            return asyncio.run(with_app(settings, args, criteria_cli.run))
        return asyncio.run(admin_command(settings, args))
    except KeyboardInterrupt:
        return 130


async def run_command(settings: Settings) -> int:
    """Serve every configured platform at once (Telegram and Zalo), or open the terminal chat."""
    if not settings.telegram_token and not settings.zalo_token:
        print(
            "No TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN configured: opening the terminal chat with demo data "
            f"({settings.database_path}). Type /quit to leave.",
            file=sys.stderr,
        )
        return await chat_command(settings, "family", None, "", seed=True)
    from bot.channels.serve import StartError, serve_channels

    async with open_app(settings) as app:
        if await app.services.store.read.areas.count() == 0:
            log.warning(
                "no areas are loaded, so people cannot finish onboarding: "
                "run `python -m bot admin areas load FILE` (or `admin demo` to try the sample)"
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            async with (
                serve_channels(settings, app.router, app.services) as channels,
                running(app, channels.deliverers, channels.limits(settings)),
            ):
                log.info("serving %s; stop with Ctrl+C", " and ".join(channels.channels))
                await stop.wait()
        except StartError as exc:
            print(f"start-up error: {exc}", file=sys.stderr)
            return 1
    return 0


async def chat_command(settings: Settings, as_role: str, user: str | None, name: str, seed: bool) -> int:
    from bot.channels.console import ConsoleChannel

    async with open_app(settings) as app:
        if seed:
            await seed_demo(app.services)
        defaults = {"family": "family", "officer": DEMO_OFFICER, "admin": DEMO_ADMIN}
        user_id = user or defaults[as_role].removeprefix("console:")
        console = ConsoleChannel(app.router, user_id, display_name=name or user_id)
        async with running(app, {"console": console}):
            await console.run()
    return 0


async def with_app(
    settings: Settings, args: argparse.Namespace, command: Callable[[argparse.Namespace, App], Awaitable[int]]
) -> int:
    async with open_app(settings) as app:
        return await command(args, app)


async def admin_command(settings: Settings, args: argparse.Namespace) -> int:
    async with open_app(settings) as app:
        try:
            return await _admin(app, args)
        except (accounts.AccountError, AreaFileError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1


async def _admin(app: App, args: argparse.Namespace) -> int:
    services = app.services
    store = services.store.read
    action = args.admin_command
    if action == "grant":
        user = await accounts.grant_role(services, args.user, args.role, args.area, by="cli")
        print(f"{user.key} is now {args.role}" + (f" for {args.area}" if args.area else ""))
    elif action == "revoke":
        removed = await accounts.revoke_role(services, args.user, args.role, by="cli")
        print(f"{args.user}: {args.role} role " + ("removed" if removed else "was not held"))
    elif action == "invite":
        invite = await accounts.create_invite(services, args.role, args.area, by="cli", days=args.days)
        print(
            f"invite code: {invite.code} ({invite.role}{' for ' + invite.area_id if invite.area_id else ''},"
            f" valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC, one use)"
        )
        if args.bot_username:
            print(f"Telegram link: https://t.me/{args.bot_username}?start={invite.code}")
        print(f"or send the bot: /start {invite.code}")
    elif action == "areas" and args.areas_command == "load":
        count = await load_area_file(services, args.file)
        print(f"loaded {count} areas from {args.file}")
    elif action == "areas":
        for area in await store.areas.all():
            depth = area.path.count("/") - 2
            print(f"{'  ' * depth}{area.id}  {area.name}  ({area.kind})")
    elif action == "users":
        path = None
        if args.area:
            area = await store.areas.get(args.area)
            if area is None:
                raise ValueError(f"unknown area {args.area!r}")
            path = area.path
        people = await store.users.list(path, limit=args.limit)
        for person in people:
            roles = ", ".join(f"{r.role}{':' + r.area_id if r.area_id else ''}" for r in person.roles)
            print(f"{person.key}\t{person.display_name}\t{person.area_id or '-'}\t{roles or 'family'}")
        print(f"{len(people)} shown, {await store.users.count(path)} in all")
    elif action == "broadcasts":
        for item in await store.broadcasts.recent(args.limit):
            counts = await store.outbox.batch_counts(item.batch)
            figures = " ".join(f"{state}={n}" for state, n in sorted(counts.items()))
            print(
                f"#{item.id}\t{item.state}\t{item.scheduled_at:%Y-%m-%d %H:%M}Z\t{item.audience}:"
                f"{item.area_id or 'all'}\trecipients={item.recipients}\t{figures}\tby {item.author_key}"
            )
    elif action == "sessions":
        return await training_cli.run(args, app)
    elif action == "demo":
        seeded = await seed_demo(services)
        print("demo data seeded" if seeded else "the database already has areas: nothing seeded")
    return 0
