"""The command line: ``python -m bot run | chat | admin … | ask | report | criteria``.

``run`` and ``chat`` belong to the kernel; the other commands are the features' own, added by the
composition root. Each command opens only what it needs: ``ask`` reads the knowledge base and
nothing else, ``admin`` and ``report`` open the database but load no data files they do not use.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import bootstrap
from bot.config import ConfigError, Settings, load_settings

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
    chat.add_argument(
        "--files",
        type=Path,
        help="folder where the pictures and files the bot sends are saved "
        "(default: outbox-files beside the database, e.g. data/outbox-files)",
    )

    admin = sub.add_parser(
        "admin", help="manage roles, invites, areas and users", description="Administration."
    )
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    bootstrap.add_feature_commands(sub, admin_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["ask"]:
        # The knowledge base only: no other command's parser, no settings, no database.
        return bootstrap.ask(argv[1:])
    args = build_parser().parse_args(argv)
    offline = getattr(args, "run_offline", None)
    if offline is not None:  # e.g. ask: the knowledge base only, no settings, no database
        return int(offline(args))
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
            return asyncio.run(
                chat_command(settings, args.as_role, args.user, args.name, not args.no_demo, args.files)
            )
        return asyncio.run(feature_command(settings, args))
    except KeyboardInterrupt:
        return 130


async def feature_command(settings: Settings, args: argparse.Namespace) -> int:
    async with bootstrap.open_runtime(settings) as runtime:
        return int(await args.run(args, runtime.services))


async def run_command(settings: Settings) -> int:
    """Serve every configured platform at once (Telegram and Zalo), or open the terminal chat."""
    if not settings.telegram_token and not settings.zalo_token:
        print(
            "No TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN configured: opening the terminal chat with demo data "
            f"({settings.database_label}). Type /quit to leave.",
            file=sys.stderr,
        )
        return await chat_command(settings, "family", None, "", seed=True)
    from bot.channels.serve import StartError
    from bot.feature import DataError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with bootstrap.serve(settings) as runtime:
            if await runtime.services.store.read.areas.count() == 0:
                log.warning(
                    "no areas are loaded, so people cannot finish onboarding: "
                    "run `python -m bot admin areas load FILE` (or `admin demo` to try the sample)"
                )
            log.info("serving %s; stop with Ctrl+C", " and ".join(runtime.channels))
            await stop.wait()
    except StartError as exc:
        print(f"start-up error: {exc}", file=sys.stderr)
        return 1
    except DataError as exc:
        print(f"data file error: {exc}", file=sys.stderr)
        return 1
    return 0


def files_folder(settings: Settings) -> Path:
    """Where the terminal chat saves the pictures and files the bot sends: beside the database."""
    return settings.database_path.parent / "outbox-files"


async def chat_command(
    settings: Settings,
    as_role: str,
    user: str | None,
    name: str,
    seed: bool,
    files: Path | None = None,
) -> int:
    from bot.channels.console import ConsoleChannel
    from bot.demo import DEMO_ADMIN, DEMO_NAMES, DEMO_OFFICER
    from bot.feature import DataError

    defaults = {"family": "family", "officer": DEMO_OFFICER, "admin": DEMO_ADMIN}
    user_id = user or defaults[as_role].removeprefix("console:")
    # The demo officer and admin keep their names (the name typed last is the one stored).
    name = name or DEMO_NAMES.get(f"console:{user_id}", "")
    folder = files or files_folder(settings)
    consoles: list[ConsoleChannel] = []

    def console(runtime: bootstrap.Runtime) -> dict[str, ConsoleChannel]:
        consoles.append(
            ConsoleChannel(runtime.router, user_id, display_name=name or user_id, files_dir=folder)
        )
        return {"console": consoles[-1]}

    try:
        async with bootstrap.serve(settings, channels=console, seed_demo=seed):
            print(
                f"Pictures and files the bot sends (charts, Excel, CSV) are saved in {folder}/ "
                "and their paths printed.",
                file=sys.stderr,
            )
            await consoles[-1].run()
    except DataError as exc:
        print(f"data file error: {exc}", file=sys.stderr)
        return 1
    return 0
