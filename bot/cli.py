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

from bot import bootstrap, logs
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
    run.add_argument(
        "--verbose", action="store_true", help="log more of what the bot does (no names, no message texts)"
    )
    run.add_argument(
        "--debug-personal-data",
        action="store_true",
        help="log everything, PERSONAL DATA INCLUDED: names, chat ids, message texts, the platforms' "
        "requests and updates (tokens stay hidden); only to debug, delete the log afterwards",
    )

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
    copy = admin_sub.add_parser(
        "copy-database",
        help="copy this SQLite deployment into an empty PostgreSQL database",
        description="Copy every table (ids and history included) from the SQLite database "
        "(DATABASE_URL, or --from) into an empty PostgreSQL database, then compare the counts. "
        "Stop the bot first; afterwards set DATABASE_URL to the PostgreSQL URL.",
    )
    copy.add_argument("--to", required=True, metavar="postgresql://…", help="the empty target database")
    copy.add_argument("--from", dest="source", metavar="sqlite:///…", help="default: DATABASE_URL")
    copy.set_defaults(run_copy=True)
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
    personal = bool(getattr(args, "debug_personal_data", False))
    if getattr(args, "verbose", False) or personal:
        level = logging.DEBUG
    # Tokens never reach a log line, whoever writes it (PTB's httpx logs URLs with the token in
    # them); names and texts only with --debug-personal-data (bot.logs).
    logs.configure(level, settings.secrets(), personal=personal)
    try:
        if getattr(args, "run_copy", False):
            return asyncio.run(copy_database_command(settings, args.source, args.to))
        if args.command == "run":
            return asyncio.run(run_command(settings))
        if args.command == "chat":
            return asyncio.run(
                chat_command(settings, args.as_role, args.user, args.name, not args.no_demo, args.files)
            )
        return asyncio.run(feature_command(settings, args))
    except KeyboardInterrupt:
        return 130


async def copy_database_command(settings: Settings, source_url: str | None, target_url: str) -> int:
    """``admin copy-database``: the SQLite deployment into an empty PostgreSQL database."""
    from bot.config import database_label
    from storage.copy import CopyError, copy_sqlite_to_postgres

    source = settings.database_path if source_url is None and not settings.postgres_url else None
    if source_url is not None:
        if not source_url.startswith("sqlite:///"):
            print("copy-database: --from must be a sqlite:/// URL", file=sys.stderr)
            return 2
        source = Path(source_url.removeprefix("sqlite:///"))
    if source is None:
        print("copy-database: DATABASE_URL is PostgreSQL already; give --from sqlite:///…", file=sys.stderr)
        return 2
    if not target_url.startswith("postgresql://"):
        print("copy-database: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    target = database_label(target_url)

    def progress(table: str, rows: int) -> None:
        print(f"  {table}: {rows:,} rows")

    print(f"copying {source} into {target}")
    try:
        report = await copy_sqlite_to_postgres(source, target_url, progress)
    except CopyError as exc:
        print(f"copy-database: {exc}", file=sys.stderr)
        return 1
    print(
        f"copied {report.rows:,} rows in {len(report.counts)} tables in {report.seconds:.1f} s; "
        "the counts match on both sides.\nNow set DATABASE_URL to the URL given with --to and start "
        "the bot (several processes: webhook mode, see README)."
    )
    return 0


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
    from bot.channels.base import StartError
    from bot.feature import DataError
    from storage.db import DatabaseInUse

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    serving = False
    try:
        async with bootstrap.serve(settings) as runtime:
            serving = True
            if await runtime.services.store.read.areas.count() == 0:
                log.warning(
                    "no areas are loaded, so people cannot finish onboarding: "
                    "run `python -m bot admin areas load FILE` (or `admin demo` to try the sample)"
                )
            log.info("serving %s; stop with Ctrl+C", " and ".join(runtime.channels))
            await stop.wait()
    except (StartError, DatabaseInUse) as exc:
        print(f"start-up error: {exc}", file=sys.stderr)
        return 1
    except DataError as exc:
        print(f"data file error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if serving:
            raise
        # Anything else that stops the start (a full disk, a refused port…): still one line; the
        # details are in the log with --verbose.
        log.debug("start-up failed", exc_info=True)
        print(
            f"start-up error: {type(exc).__name__}: {exc} (run with --verbose for details)", file=sys.stderr
        )
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
    from storage.db import DatabaseInUse

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
    except DatabaseInUse as exc:
        print(f"start-up error: {exc}", file=sys.stderr)
        return 1
    except DataError as exc:
        print(f"data file error: {exc}", file=sys.stderr)
        return 1
    return 0
