"""SQLite side of practice exams (migration 0005): attempts, drafts and flags, and the one-transaction submission."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.exam import ExamAttempt
from bot.models import RoundKind, Tally, Target


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime passed to storage")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


_ATTEMPT = (
    "SELECT r.id, r.platform, r.workspace, r.channel, r.question_ids, r.opened_at, e.user_key, e.short, e.deadline, "
    "e.position, e.version, e.submitted_at, e.timed_out, e.correct, e.score "
    "FROM exam_attempts e JOIN rounds r ON r.id = e.round_id"
)


class ExamStore:
    """Mixin for SqliteRepository: practice exams. Drafts never touch the answers table or the aggregates."""

    _db: aiosqlite.Connection

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    async def _add_to_aggregates(db: aiosqlite.Connection, tallies: Sequence[Tally]) -> None:  # pragma: no cover
        raise NotImplementedError

    async def create_exam(
        self,
        target: Target,
        owner: str,
        question_ids: Sequence[str],
        short: bool,
        opened_at: datetime,
        deadline: datetime,
    ) -> int:
        """Create an exam round (no close time: the exam's deadline job submits it) and its attempt; its id."""
        async with self._transaction() as db:
            cur = await db.execute(
                "INSERT INTO rounds (kind, platform, workspace, channel, owner, question_ids, opened_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    RoundKind.EXAM.value,
                    target.platform,
                    target.workspace,
                    target.channel,
                    owner,
                    json.dumps(list(question_ids)),
                    _ts(opened_at),
                ),
            )
            round_id = cur.lastrowid
            if round_id is None:  # pragma: no cover - an INSERT always has a rowid
                raise RuntimeError("the exam round was not created")
            await db.execute(
                "INSERT INTO exam_attempts (round_id, user_key, short, deadline) VALUES (?, ?, ?, ?)",
                (round_id, owner, int(short), _ts(deadline)),
            )
        return round_id

    async def exam_attempt(self, round_id: int) -> ExamAttempt | None:
        """An exam with its drafts and flags."""
        async with self._db.execute(_ATTEMPT + " WHERE e.round_id = ?", (round_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        async with self._db.execute(
            "SELECT question_no, choice, flagged FROM exam_drafts WHERE round_id = ?", (round_id,)
        ) as cur:
            drafts = list(await cur.fetchall())
        return _attempt(row, drafts)

    async def open_exam_of(self, owner: str) -> ExamAttempt | None:
        """A member's exam that is not submitted yet."""
        async with self._db.execute(
            "SELECT round_id FROM exam_attempts WHERE user_key = ? AND submitted_at IS NULL ORDER BY round_id DESC "
            "LIMIT 1",
            (owner,),
        ) as cur:
            row = await cur.fetchone()
        return await self.exam_attempt(int(row[0])) if row else None

    async def open_exam_ids(self) -> list[int]:
        """Every exam not submitted yet (to re-arm deadlines at start)."""
        async with self._db.execute(
            "SELECT round_id FROM exam_attempts WHERE submitted_at IS NULL ORDER BY round_id"
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def update_exam(
        self,
        round_id: int,
        at: datetime,
        position: int,
        question_no: int | None = None,
        choice: str | None = None,
        toggle_flag: bool = False,
    ) -> bool:
        """Move an open exam to `position` and save a draft choice and/or flip a flag; False once submitted."""
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE exam_attempts SET position = ?, version = version + 1 "
                "WHERE round_id = ? AND submitted_at IS NULL",
                (position, round_id),
            )
            if cur.rowcount != 1:
                return False
            if question_no is not None and (choice is not None or toggle_flag):
                await db.execute(
                    "INSERT INTO exam_drafts (round_id, question_no, choice, flagged, updated_at) "
                    "VALUES (:round, :no, :choice, :flag, :at) ON CONFLICT (round_id, question_no) DO UPDATE SET "
                    "choice = CASE WHEN :set_choice = 1 THEN excluded.choice ELSE exam_drafts.choice END, "
                    "flagged = CASE WHEN :flag = 1 THEN 1 - exam_drafts.flagged ELSE exam_drafts.flagged END, "
                    "updated_at = excluded.updated_at",
                    {
                        "round": round_id,
                        "no": question_no,
                        "choice": choice or "",
                        "flag": int(toggle_flag),
                        "set_choice": int(choice is not None),
                        "at": _ts(at),
                    },
                )
            return True

    async def submit_exam(
        self,
        round_id: int,
        version: int,
        at: datetime,
        tallies: Sequence[Tally],
        correct: int,
        score: int,
        timed_out: bool,
    ) -> bool | None:
        """Submit an exam scored at draft `version`: result, answers and aggregates in one transaction.

        True for the call that submitted it; False when it was already submitted; None when a draft changed since
        `version` was read (score it again)."""
        async with self._transaction() as db:
            cur = await db.execute(
                "UPDATE exam_attempts SET submitted_at = ?, timed_out = ?, correct = ?, score = ? "
                "WHERE round_id = ? AND submitted_at IS NULL AND version = ?",
                (_ts(at), int(timed_out), correct, score, round_id, version),
            )
            if cur.rowcount != 1:
                async with db.execute(
                    "SELECT submitted_at FROM exam_attempts WHERE round_id = ?", (round_id,)
                ) as check:
                    row = await check.fetchone()
                return False if row is None or row[0] is not None else None
            await db.execute("UPDATE rounds SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (_ts(at), round_id))
            new = []
            for tally in tallies:
                answer = tally.answer
                inserted = await db.execute(
                    "INSERT INTO answers (round_id, question_no, user_key, question_id, choice, correct, points, "
                    "answered_at, elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        answer.round_id,
                        answer.question_no,
                        answer.user_key,
                        answer.question_id,
                        answer.choice,
                        int(answer.correct),
                        answer.points,
                        _ts(answer.answered_at),
                        answer.elapsed_ms,
                    ),
                )
                if inserted.rowcount == 1:
                    new.append(tally)
            await self._add_to_aggregates(db, new)
            return True

    async def exam_history(self, owner: str, limit: int) -> list[ExamAttempt]:
        """A member's exams, newest first (drafts left out: history needs only the results)."""
        async with self._db.execute(
            _ATTEMPT + " WHERE e.user_key = ? ORDER BY e.round_id DESC LIMIT ?", (owner, limit)
        ) as cur:
            rows = await cur.fetchall()
        return [_attempt(row, []) for row in rows]


def _attempt(row: Any, drafts: Sequence[Any]) -> ExamAttempt:
    return ExamAttempt(
        round_id=row["id"],
        user_key=row["user_key"],
        target=Target(platform=row["platform"], workspace=row["workspace"], channel=row["channel"]),
        short=bool(row["short"]),
        question_ids=json.loads(row["question_ids"]),
        opened_at=datetime.fromisoformat(row["opened_at"]),
        deadline=datetime.fromisoformat(row["deadline"]),
        position=row["position"],
        version=row["version"],
        choices={int(d["question_no"]): d["choice"] for d in drafts if d["choice"]},
        flags=frozenset(int(d["question_no"]) for d in drafts if d["flagged"]),
        submitted_at=_dt(row["submitted_at"]),
        timed_out=bool(row["timed_out"]),
        correct=row["correct"],
        score=row["score"],
    )
