"""``python -m bot admin grant|revoke|invite|areas|users|demo``: roles, invites, areas, people."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot import accounts
from bot.areas_file import AreaFileError
from bot.demo import load_area_file, seed_demo
from bot.services import Services


def add_parsers(commands: Any, admin: Any) -> None:
    grant = admin.add_parser("grant", help="give someone a role (they must have started the bot)")
    grant.add_argument("user", help="channel-qualified id, e.g. telegram:12345")
    grant.add_argument("--role", required=True, choices=accounts.ROLES)
    grant.add_argument("--area", help="the area an officer serves (an area id)")
    grant.set_defaults(run=run)

    revoke = admin.add_parser("revoke", help="take a role away")
    revoke.add_argument("user", help="channel-qualified id, e.g. telegram:12345")
    revoke.add_argument("--role", required=True, choices=accounts.ROLES)
    revoke.set_defaults(run=run)

    invite = admin.add_parser("invite", help="create a one-time invite link that grants a role")
    invite.add_argument("--role", default="officer", choices=accounts.ROLES)
    invite.add_argument("--area", help="the area an officer will serve (an area id)")
    invite.add_argument("--days", type=int, default=accounts.INVITE_DAYS, help="days the invite stays valid")
    invite.add_argument("--bot-username", help="Telegram username of the bot, to print a t.me link")
    invite.set_defaults(run=run)

    areas = admin.add_parser("areas", help="load or list the tree of wards and villages")
    areas_sub = areas.add_subparsers(dest="areas_command", required=True, metavar="ACTION")
    load = areas_sub.add_parser("load", help="load areas from a TOML or CSV file (adds or updates)")
    load.add_argument("file", type=Path)
    areas_sub.add_parser("list", help="print the area tree with ids")
    areas.set_defaults(run=run)

    users = admin.add_parser("users", help="list people who joined")
    users.add_argument("--area", help="only this area and below (an area id)")
    users.add_argument("--limit", type=int, default=50)
    users.set_defaults(run=run)

    admin.add_parser("demo", help="seed demo data into an empty database").set_defaults(run=run)


async def run(args: argparse.Namespace, services: Services) -> int:
    try:
        return await _run(args, services)
    except (accounts.AccountError, AreaFileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, services: Services) -> int:
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
        until = invite.expires_at.astimezone(services.settings.timezone)
        print(
            f"invite code: {invite.code} ({invite.role}{' for ' + invite.area_id if invite.area_id else ''},"
            f" valid until {until:%Y-%m-%d %H:%M} {until:%z}, one use)"
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
            scope = await store.areas.get(args.area)
            if scope is None:
                raise ValueError(f"unknown area {args.area!r}")
            path = scope.path
        people = await store.users.list(path, limit=args.limit)
        for person in people:
            roles = ", ".join(f"{r.role}{':' + r.area_id if r.area_id else ''}" for r in person.roles)
            print(f"{person.key}\t{person.display_name}\t{person.area_id or '-'}\t{roles or 'family'}")
        print(f"{len(people)} shown, {await store.users.count(path)} in all")
    elif action == "demo":
        seeded = await seed_demo(services)
        print("demo data seeded" if seeded else "the database already has areas: nothing seeded")
    return 0
