"""Accounts: consent, areas of residence, roles and one-time invites.

Used by the chat handlers and by the admin CLI alike; every role change is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.model import Incoming, split_key
from bot.services import Services
from storage.invites import Invite
from storage.personal import pseudonym
from storage.users import User

INVITE_DAYS = 7
PENDING_INVITE = timedelta(days=1)  # how long a code sent before consent waits for the answer
ROLES = ("officer", "admin")


class AccountError(Exception):
    """A request that cannot be carried out; the message is plain English for operators."""


@dataclass(frozen=True, slots=True)
class InviteResult:
    invite: Invite | None
    problem: str | None  # "unknown", "used", "expired"


async def accept_consent(services: Services, msg: Incoming, language: str) -> User:
    """Store the person only now that they have accepted the consent notice."""
    now = services.clock.now()
    async with services.store.write() as tx:
        user = await tx.users.create(
            key=msg.key,
            channel=msg.channel,
            chat_id=msg.chat_id,
            display_name=msg.display_name,
            language=language,
            now=now,
        )
        await tx.audit.record(msg.key, "consent.accepted", msg.key, now)
    return user


async def set_home_area(services: Services, user: User, area_id: str) -> None:
    now = services.clock.now()
    async with services.store.write() as tx:
        if await tx.areas.get(area_id) is None:
            raise AccountError(f"unknown area {area_id!r}")
        first_time = user.area_id is None
        await tx.users.set_area(user.id, area_id, now)
        if first_time:
            # Counted anonymously for the weekly reports.
            await tx.events.record("user.registered", area_id, user.channel, now)


async def set_language(services: Services, user: User, language: str) -> None:
    async with services.store.write() as tx:
        await tx.users.set_language(user.id, language, services.clock.now())


async def create_invite(
    services: Services, role: str, area_id: str | None, by: str, days: int = INVITE_DAYS
) -> Invite:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if role == "officer" and not area_id:
        raise AccountError("an officer invite needs an area")
    now = services.clock.now()
    async with services.store.write() as tx:
        if area_id is not None and await tx.areas.get(area_id) is None:
            raise AccountError(f"unknown area {area_id!r}")
        invite = await tx.invites.create(
            secrets.token_urlsafe(9),
            role,
            area_id if role == "officer" else None,
            by,
            now,
            now + timedelta(days=days),
        )
        await tx.audit.record(by, "invite.created", invite.code, now, f"{role} {area_id or ''}".strip())
    return invite


async def keep_pending_invite(services: Services, key: str, code: str) -> None:
    """An invite code sent with /start before consent, kept a day for the consent answer —
    across a restart and whichever process answers — under a hash of ``key``: nothing about the
    person is stored before consent."""
    now = services.clock.now()
    async with services.store.write() as tx:
        await tx.pending_invites.keep(key, code, now, now + PENDING_INVITE)


async def pending_invite(services: Services, key: str) -> str:
    """The code kept for ``key`` (``keep_pending_invite``), or ""."""
    return await services.store.read.pending_invites.code_for(key, services.clock.now()) or ""


async def forget_pending_invite(services: Services, key: str) -> None:
    """The consent was answered: the code kept for ``key`` goes (applied, or declined)."""
    async with services.store.write() as tx:
        await tx.pending_invites.forget(key, services.clock.now())


async def claim_invite(services: Services, user: User, code: str) -> InviteResult:
    """Use a one-time invite: grant its role to ``user``. Two people cannot both use it."""
    now = services.clock.now()
    async with services.store.write() as tx:
        invite = await tx.invites.get(code, for_update=True)  # decided once, even across processes
        if invite is None:
            return InviteResult(None, "unknown")
        if invite.used_at is not None:
            return InviteResult(invite, "used")
        if invite.expires_at <= now:
            return InviteResult(invite, "expired")
        claimed = await tx.invites.claim(code, user.id, now)
        if claimed is None:
            return InviteResult(invite, "used")
        await tx.users.grant(user.id, claimed.role, claimed.area_id, f"invite:{code}", now)
        if claimed.area_id and user.area_id is None:
            await tx.users.set_area(user.id, claimed.area_id, now)
        await tx.audit.record(
            user.key, "role.granted", user.key, now, f"{claimed.role} {claimed.area_id or ''} by invite"
        )
    return InviteResult(claimed, None)


async def grant_role(services: Services, user_key: str, role: str, area_id: str | None, by: str) -> User:
    split_key(user_key)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if role == "officer" and not area_id:
        raise AccountError("an officer needs an area (--area)")
    now = services.clock.now()
    async with services.store.write() as tx:
        user = await tx.users.by_key(user_key)
        if user is None:
            raise AccountError(
                f"{user_key} has not started the bot (or has not accepted the consent notice); "
                "create an invite instead"
            )
        if area_id is not None and await tx.areas.get(area_id) is None:
            raise AccountError(f"unknown area {area_id!r}")
        await tx.users.grant(user.id, role, area_id if role == "officer" else None, by, now)
        await tx.audit.record(by, "role.granted", user_key, now, f"{role} {area_id or ''}".strip())
        updated = await tx.users.by_key(user_key)
    assert updated is not None
    return updated


async def revoke_role(services: Services, user_key: str, role: str, by: str) -> bool:
    now = services.clock.now()
    async with services.store.write() as tx:
        user = await tx.users.by_key(user_key)
        if user is None:
            raise AccountError(f"no such user {user_key}")
        removed = await tx.users.revoke(user.id, role)
        if removed:
            await tx.audit.record(by, "role.revoked", user_key, now, role)
    return removed


async def delete_person(services: Services, user: User) -> dict[str, int]:
    """Erase everything stored about a person, in one transaction, by the one list of where
    personal data lives (``storage.personal``): their rows deleted, messages about them redacted,
    their authorship pseudonymised; anonymous counting events stay. Rows changed, by rule."""
    async with services.store.write() as tx:
        changed = await tx.personal.erase(user.id, user.key)
        await tx.audit.record("system", "user.deleted", pseudonym(user.id), services.clock.now())
    return changed
