"""The storage facade: repositories bound to the reader, or to one write transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from storage.areas import AreasRepo
from storage.audit import AuditRepo
from storage.broadcasts import BroadcastsRepo
from storage.conversations import ConversationsRepo
from storage.db import Database
from storage.declarations import DeclarationsRepo
from storage.digests import DigestsRepo
from storage.events import EventsRepo
from storage.inbox import InboxRepo, settle
from storage.invites import InvitesRepo, PendingInvitesRepo
from storage.outbox import OutboxRepo
from storage.personal import PersonalRepo
from storage.questions import QuestionsRepo
from storage.reports import ReportsRepo
from storage.sessions import SessionsRepo
from storage.sql import Backend, Connection
from storage.users import UsersRepo

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIX = "postgresql://"


def backend_for(target: Path | str) -> Backend:
    """SQLite for a path or ``sqlite:///path``; PostgreSQL for ``postgresql://…``."""
    if isinstance(target, Path):
        return Database(target)
    if target.startswith(POSTGRES_PREFIX):
        # Imported here: SQLite, the default, runs without loading psycopg.
        from storage.postgres import PostgresDatabase

        return PostgresDatabase(target)
    if target.startswith(SQLITE_PREFIX):
        return Database(Path(target[len(SQLITE_PREFIX) :]))
    if "://" in target:
        raise ValueError("a database URL starts with sqlite:/// or postgresql://")
    return Database(Path(target))


class Repos:
    """Every repository on one connection (a read connection or a write transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.areas = AreasRepo(conn)
        self.users = UsersRepo(conn)
        self.invites = InvitesRepo(conn)
        self.pending_invites = PendingInvitesRepo(conn)
        self.conversations = ConversationsRepo(conn)
        self.audit = AuditRepo(conn)
        self.events = EventsRepo(conn)
        self.sessions = SessionsRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.questions = QuestionsRepo(conn)
        self.declarations = DeclarationsRepo(conn)
        self.reports = ReportsRepo(conn)
        self.broadcasts = BroadcastsRepo(conn)
        self.inbox = InboxRepo(conn)
        self.digests = DigestsRepo(conn)
        self.personal = PersonalRepo(conn)


class Store:
    """``Store(path)`` or ``Store("sqlite:///path")``: SQLite; ``Store("postgresql://…")``: PostgreSQL."""

    def __init__(self, target: Path | str) -> None:
        self.db: Backend = backend_for(target)
        self._read: Repos | None = None

    @property
    def dialect(self) -> str:
        return self.db.dialect

    async def open(self) -> Store:
        await self.db.open()
        self._read = Repos(self.db.reader)
        return self

    async def close(self) -> None:
        await self.db.close()
        self._read = None

    async def __aenter__(self) -> Store:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def read(self) -> Repos:
        """Repositories on the read connection (last committed state)."""
        if self._read is None:
            raise RuntimeError("store is not open")
        return self._read

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Repos]:
        """Repositories inside one atomic write transaction."""
        try:
            async with self.db.transaction() as conn:
                yield Repos(conn)
        except BaseException:
            settle(committed=False)
            raise
        settle(committed=True)  # an inbox row marked with the conversation state (storage.inbox)
