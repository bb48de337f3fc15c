"""Questions handed to officers, and the anonymous log of questions the bot could not answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from storage.sql import Connection, Row
from storage.timefmt import opt_from_db, to_db

_COLUMNS = (
    "q.id, q.user_id, q.area_id, q.text, q.language, q.asked_at, q.answer, q.answered_by, q.answered_at"
)


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    user_id: int
    area_id: str
    text: str
    language: str
    asked_at: datetime
    answer: str | None
    answered_by: int | None
    answered_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


@dataclass(frozen=True, slots=True)
class FrequentMiss:
    folded: str
    example: str  # the most recent wording
    count: int
    nearest: str | None


def _question(row: Row) -> Question:
    asked = opt_from_db(row["asked_at"])
    assert asked is not None
    return Question(
        id=row["id"],
        user_id=row["user_id"],
        area_id=row["area_id"],
        text=row["text"],
        language=row["language"],
        asked_at=asked,
        answer=row["answer"],
        answered_by=row["answered_by"],
        answered_at=opt_from_db(row["answered_at"]),
    )


def utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


class QuestionsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- questions handed to officers -----------------------------------------------------------
    async def ask(self, user_id: int, area_id: str, text: str, language: str, now: datetime) -> Question:
        new_id = await self.conn.insert(
            "INSERT INTO faq_questions (user_id, area_id, text, language, asked_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (user_id, area_id, text, language, to_db(now)),
        )
        question = await self.get(new_id)
        assert question is not None
        return question

    async def get(self, question_id: int) -> Question | None:
        row = await self.conn.fetch_one(
            f"SELECT {_COLUMNS} FROM faq_questions q WHERE q.id = ?", (question_id,)
        )
        return _question(row) if row else None

    async def answer(self, question_id: int, officer_id: int, text: str, now: datetime) -> bool:
        """Record the answer; False when the question is gone or someone answered first."""
        changed = await self.conn.execute(
            "UPDATE faq_questions SET answer = ?, answered_by = ?, answered_at = ?"
            " WHERE id = ? AND answered_at IS NULL",
            (text, officer_id, to_db(now), question_id),
        )
        return changed == 1

    async def open_in(
        self, area_path: str | None, asked_before: datetime | None = None, limit: int = 20
    ) -> list[Question]:
        """Open questions from an area and below (or everywhere), oldest first."""
        sql = (
            f"SELECT {_COLUMNS} FROM faq_questions q JOIN areas a ON a.id = q.area_id"
            " WHERE q.answered_at IS NULL AND substr(a.path, 1, ?) = ? AND q.asked_at < ?"
            " ORDER BY q.asked_at, q.id LIMIT ?"
        )
        path = area_path or ""
        before = to_db(asked_before) if asked_before else "9999"
        rows = await self.conn.fetch_all(sql, (len(path), path, before, limit))
        return [_question(r) for r in rows]

    async def count_open(self, area_path: str | None, asked_before: datetime | None = None) -> int:
        path = area_path or ""
        before = to_db(asked_before) if asked_before else "9999"
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) FROM faq_questions q JOIN areas a ON a.id = q.area_id"
            " WHERE q.answered_at IS NULL AND substr(a.path, 1, ?) = ? AND q.asked_at < ?",
            (len(path), path, before),
        )
        return int(row[0]) if row else 0

    async def count_answered(self, since: datetime) -> int:
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) FROM faq_questions WHERE answered_at >= ?", (to_db(since),)
        )
        return int(row[0]) if row else 0

    async def by_user(self, user_id: int) -> list[Question]:
        """Everything a person asked an officer (for /dulieu)."""
        rows = await self.conn.fetch_all(
            f"SELECT {_COLUMNS} FROM faq_questions q WHERE q.user_id = ? ORDER BY q.id", (user_id,)
        )
        return [_question(r) for r in rows]

    async def officers_for(self, area_path: str) -> list[int]:
        """User ids of the officers whose area contains the area at ``area_path``."""
        rows = await self.conn.fetch_all(
            "SELECT r.user_id FROM roles r JOIN areas a ON a.id = r.area_id"
            " WHERE r.role = 'officer' AND substr(?, 1, length(a.path)) = a.path"
            " ORDER BY length(a.path) DESC, r.user_id",
            (area_path,),
        )
        return [int(r[0]) for r in rows]

    async def admins(self) -> list[int]:
        rows = await self.conn.fetch_all("SELECT user_id FROM roles WHERE role = 'admin' ORDER BY user_id")
        return [int(r[0]) for r in rows]

    # -- questions the bot could not answer ----------------------------------------------------
    async def log_miss(
        self,
        text: str,
        folded: str,
        nearest: str | None,
        score: float,
        language: str,
        now: datetime,
        user_id: int | None = None,
    ) -> None:
        """``user_id``: who asked, when they accepted the notice; never shown, kept so that
        deleting their data deletes what they typed (``storage.personal``)."""
        await self.conn.execute(
            "INSERT INTO faq_misses (text, folded, nearest, score, language, day, user_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (text, folded, nearest, score, language, utc_day(now), user_id),
        )

    async def frequent_misses(self, since: date, limit: int = 15) -> list[FrequentMiss]:
        """The most often asked unanswered questions since a day, most frequent first."""
        groups = await self.conn.fetch_all(
            "SELECT folded, COUNT(*) AS n, MAX(id) AS last FROM faq_misses WHERE day >= ?"
            " GROUP BY folded ORDER BY n DESC, last DESC LIMIT ?",
            (since.isoformat(), limit),
        )
        result = []
        for group in groups:
            row = await self.conn.fetch_one(
                "SELECT text, nearest FROM faq_misses WHERE id = ?", (group["last"],)
            )
            assert row is not None
            result.append(FrequentMiss(group["folded"], row["text"], int(group["n"]), row["nearest"]))
        return result

    async def count_misses(self, since: date) -> int:
        row = await self.conn.fetch_one(
            "SELECT COUNT(*) FROM faq_misses WHERE day >= ?", (since.isoformat(),)
        )
        return int(row[0]) if row else 0
