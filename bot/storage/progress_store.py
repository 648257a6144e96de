"""SQLite side of learning progress: aggregates written with each answer, and the reads stats and boards need."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime
from typing import Any

import aiosqlite

from bot.models import Tally
from bot.review import CardState, review
from bot.storage.plan_store import add_task_days

GLOBAL_SCOPE = "global"
Row = tuple[str, int, int, int]  # (user_key, points, answered, correct)
# Leaderboard order: points, then correct answers, then fewer answers, then the key (stable pages).
_ORDER = "ORDER BY points DESC, correct DESC, answered ASC, user_key"
_BETTER = (
    "(s.points > me.points OR (s.points = me.points AND (s.correct > me.correct OR (s.correct = me.correct AND "
    "(s.answered < me.answered OR (s.answered = me.answered AND s.user_key < me.user_key))))))"
)
_OPTED_IN = "user_key IN (SELECT user_key FROM global_optin)"
_KEYS_PER_READ = 200  # (user, question) pairs OR-ed in one read, well below SQLite's expression depth limit


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


async def add_progress(db: aiosqlite.Connection, tallies: Sequence[Tally]) -> None:
    """Add answers to daily activity, group task accuracy and the members' review cards (caller's transaction)."""
    dated = [t for t in tallies if t.day is not None]
    if dated:  # an empty batch would still cost a round trip each
        # One statement per table for the whole batch: a busy round's close is a handful of round trips, not thousands.
        await db.executemany(
            "INSERT INTO daily_stats (subject, day, domain, answered, correct) VALUES (?, ?, ?, 1, ?) "
            "ON CONFLICT (subject, day, domain) DO UPDATE SET answered = answered + 1, "
            "correct = correct + excluded.correct",
            [
                (subject, t.day.isoformat(), t.task.split(".")[0], int(t.answer.correct))
                for t in dated
                if t.day is not None
                for subject in (t.answer.user_key, *t.scopes)
            ],
        )
        await db.executemany(
            "INSERT INTO group_task_stats (scope, task, answered, correct) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (scope, task) DO UPDATE SET answered = answered + 1, correct = correct + excluded.correct",
            [(scope, t.task, int(t.answer.correct)) for t in dated for scope in t.scopes],
        )
        await add_task_days(db, dated)  # per-day task counts for study-plan recaps (bot.study_plans)
    await _review_cards(db, [t for t in tallies if t.rating is not None])


async def _review_cards(db: aiosqlite.Connection, tallies: Sequence[Tally]) -> None:
    """Move each answered question's review card on; read and written inside the caller's write transaction."""
    if not tallies:
        return
    keys = list(dict.fromkeys((t.answer.user_key, t.answer.question_id) for t in tallies))
    cards: dict[tuple[str, str], CardState | None] = dict.fromkeys(keys)
    for start in range(0, len(keys), _KEYS_PER_READ):
        chunk = keys[start : start + _KEYS_PER_READ]
        where = " OR ".join(["(user_key = ? AND question_id = ?)"] * len(chunk))
        params = [value for key in chunk for value in key]
        for row in await db.execute_fetchall(f"SELECT * FROM review_cards WHERE {where}", params):
            cards[(row["user_key"], row["question_id"])] = _card(row)
    for t in tallies:  # in answer order: a member answering the same question twice moves its card twice
        key = (t.answer.user_key, t.answer.question_id)
        assert t.rating is not None
        cards[key] = review(cards[key], t.rating, t.answer.answered_at)
    await db.executemany(
        "INSERT INTO review_cards (user_key, question_id, state, step, stability, difficulty, due, last_review, "
        "reviews, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_key, question_id) DO UPDATE SET "
        "state = excluded.state, step = excluded.step, stability = excluded.stability, "
        "difficulty = excluded.difficulty, due = excluded.due, last_review = excluded.last_review, "
        "reviews = excluded.reviews, lapses = excluded.lapses",
        [
            (
                user_key,
                question_id,
                card.state,
                card.step,
                card.stability,
                card.difficulty,
                _ts(card.due),
                _ts(card.last_review) if card.last_review else None,
                card.reviews,
                card.lapses,
            )
            for (user_key, question_id), card in cards.items()
            if card is not None
        ],
    )


def _card(row: Any) -> CardState:
    return CardState(
        state=row["state"],
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        due=datetime.fromisoformat(row["due"]),
        last_review=datetime.fromisoformat(row["last_review"]) if row["last_review"] else None,
        reviews=row["reviews"],
        lapses=row["lapses"],
    )


class ProgressStore:
    """Mixin for SqliteRepository: progress reads (aggregates only, never the answers table) and opt-ins."""

    _db: aiosqlite.Connection

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:  # pragma: no cover - overridden
        raise NotImplementedError

    async def daily_stats(self, subject: str, since: date) -> dict[date, dict[str, tuple[int, int]]]:
        """{day: {domain: (answered, correct)}} of a member or scope from `since` on."""
        found: dict[date, dict[str, tuple[int, int]]] = {}
        async with self._db.execute(
            "SELECT day, domain, answered, correct FROM daily_stats WHERE subject = ? AND day >= ?",
            (subject, since.isoformat()),
        ) as cur:
            for day, domain, answered, correct in await cur.fetchall():
                found.setdefault(date.fromisoformat(day), {})[domain] = (answered, correct)
        return found

    async def active_days(self, subject: str) -> list[date]:
        """Every local day a member or scope answered anything, oldest first."""
        async with self._db.execute(
            "SELECT DISTINCT day FROM daily_stats WHERE subject = ? ORDER BY day", (subject,)
        ) as cur:
            return [date.fromisoformat(r[0]) for r in await cur.fetchall()]

    async def group_task_stats(self, scope: str) -> dict[str, tuple[int, int]]:
        """A channel's or workspace's (answered, correct) per task id."""
        async with self._db.execute(
            "SELECT task, answered, correct FROM group_task_stats WHERE scope = ?", (scope,)
        ) as cur:
            return {r[0]: (r[1], r[2]) for r in await cur.fetchall()}

    async def due_cards(self, user_key: str, until: datetime, limit: int) -> list[str]:
        """Question ids of a member's cards due by `until`, most overdue first."""
        async with self._db.execute(
            "SELECT question_id FROM review_cards WHERE user_key = ? AND due <= ? ORDER BY due, question_id LIMIT ?",
            (user_key, _ts(until), limit),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def due_count(self, user_key: str, until: datetime) -> int:
        """How many of a member's cards are due by `until`."""
        async with self._db.execute(
            "SELECT COUNT(*) FROM review_cards WHERE user_key = ? AND due <= ?", (user_key, _ts(until))
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def review_card(self, user_key: str, question_id: str) -> CardState | None:
        """A member's card for one question."""
        async with self._db.execute(
            "SELECT * FROM review_cards WHERE user_key = ? AND question_id = ?", (user_key, question_id)
        ) as cur:
            row = await cur.fetchone()
        return _card(row) if row else None

    async def carded_questions(self, user_key: str) -> set[str]:
        """Question ids a member already has a card for."""
        async with self._db.execute("SELECT question_id FROM review_cards WHERE user_key = ?", (user_key,)) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def board(self, scope: str, period: str, limit: int, offset: int = 0) -> tuple[list[Row], int]:
        """A leaderboard page and the number of ranked members (the global board lists opted-in members only)."""
        where = "scope = ? AND period = ?" + (f" AND {_OPTED_IN}" if scope == GLOBAL_SCOPE else "")
        async with self._db.execute(
            f"SELECT user_key, points, answered, correct FROM scores WHERE {where} {_ORDER} LIMIT ? OFFSET ?",
            (scope, period, limit, offset),
        ) as cur:
            rows = [(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]
        async with self._db.execute(f"SELECT COUNT(*) FROM scores WHERE {where}", (scope, period)) as cur:
            total = await cur.fetchone()
        return rows, int(total[0]) if total else 0

    async def rank_of(self, scope: str, period: str, user_key: str) -> tuple[int, Row] | None:
        """A member's rank and row on a board, or None when they are not on it."""
        opted = f" AND s.{_OPTED_IN}" if scope == GLOBAL_SCOPE else ""
        if scope == GLOBAL_SCOPE and not await self.opted_in(user_key):
            return None
        async with self._db.execute(
            "SELECT user_key, points, answered, correct FROM scores WHERE scope = ? AND period = ? AND user_key = ?",
            (scope, period, user_key),
        ) as cur:
            mine = await cur.fetchone()
        if mine is None:
            return None
        async with self._db.execute(
            f"SELECT COUNT(*) FROM scores s, scores me WHERE me.scope = ? AND me.period = ? AND me.user_key = ? "
            f"AND s.scope = me.scope AND s.period = me.period AND {_BETTER}{opted}",
            (scope, period, user_key),
        ) as cur:
            ahead = await cur.fetchone()
        return (int(ahead[0]) if ahead else 0) + 1, (mine[0], mine[1], mine[2], mine[3])

    async def opted_in(self, user_key: str) -> bool:
        """Whether a member shows on the global leaderboard."""
        async with self._db.execute("SELECT 1 FROM global_optin WHERE user_key = ?", (user_key,)) as cur:
            return await cur.fetchone() is not None

    async def set_opt_in(self, user_key: str, opted_in: bool, at: datetime) -> None:
        """Opt a member in to (or out of) the global leaderboard; repeating it changes nothing."""
        async with self._transaction() as db:
            if opted_in:
                await db.execute(
                    "INSERT INTO global_optin (user_key, opted_in_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (user_key, _ts(at)),
                )
            else:
                await db.execute("DELETE FROM global_optin WHERE user_key = ?", (user_key,))
