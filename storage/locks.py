"""Named locks between processes, held for as long as the process (or its database session) lives.

Two uses: the leader lease (exactly one process runs the delivery worker and the scheduler) and
one lock per bot token while polling (getUpdates cannot be shared). Both backends give one:

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own
  (``storage.postgres.AdvisoryLock``). PostgreSQL releases it when that session ends, so a process
  that dies (``kill -9``, a lost machine once TCP keepalives give up) lets another take over.
- SQLite: an ``flock`` on a small file beside the database (``FileLock``); the kernel releases it
  when the process dies. SQLite serves one machine, so a file lock covers every process that can
  open the database.

Nothing is ever unlocked by hand while the process runs: holding the session (or the file) is
holding the lock, so ``held()`` only needs to know that the session is still alive.

The holder can also be told things: ``Backend.tell_holder(name, message)`` from any process
reaches the process holding the lock ``name`` in its ``wait()`` (PostgreSQL LISTEN/NOTIFY on the
lock's own connection). The leader learns that way that another process wrote a row it must act
on (an announcement set for later, a new reminder). SQLite serves one process: nothing to tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

LEADER = "leader"  # the lease of the process that sends the outbox and runs the scheduler


def polling_lock_name(platform: str, token: str) -> str:
    """The lock of one bot's polling: a digest of the token (never the token itself, which would
    show in pg_locks or as a file name)."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"poll-{platform}-{digest}"


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``, the same in every process."""
    digest = hashlib.sha256(f"khuyenhoc:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SessionLock(Protocol):
    """A named lock between processes: taken without waiting, held until released or the process
    (or its database session) ends."""

    @property
    def name(self) -> str: ...

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process holds it now."""
        ...

    async def held(self) -> bool:
        """Still held: the session that holds it is alive. False once it was lost."""
        ...

    async def wait(self, seconds: float) -> list[str]:
        """The holder: wait ``seconds`` and return the messages told to it meanwhile."""
        ...

    async def release(self) -> None: ...


def notify_channel(name: str) -> str:
    """The LISTEN/NOTIFY channel of the lock ``name`` (an SQL identifier: no hyphen)."""
    return "khuyenhoc_" + name.replace("-", "_")


_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")


class FileLock:
    """``flock`` on ``<database file>.<name>.lock``; where flock does not exist (Windows), every
    process holds it (SQLite serves one process there)."""

    def __init__(self, database: Path, name: str) -> None:
        if not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"a lock name is letters, digits, - and _ (got {name!r})")
        self._name = name
        self.path = database.with_name(f"{database.name}.{name}.lock")
        self._fd: int | None = None

    @property
    def name(self) -> str:
        return self._name

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux or macOS
            self._fd = -1
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # Who holds it, for an operator who finds the file (the lock is the flock, not the text).
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def held(self) -> bool:
        return self._fd is not None

    async def wait(self, seconds: float) -> list[str]:
        await asyncio.sleep(seconds)  # one process on SQLite: nobody else to tell it anything
        return []

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None and fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)  # closing the descriptor drops the flock
