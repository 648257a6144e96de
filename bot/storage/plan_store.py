"""SQLite side of study plans: the plan of a channel and the per-day task aggregate its weekly recap reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime

import aiosqlite

from bot.models import Tally, Target
from bot.plans import StoredPlan


async def add_task_days(db: aiosqlite.Connection, tallies: Sequence[Tally]) -> None:
    """Add answers to their channels' per-day task counts, for the group and the member (caller's transaction)."""
    rows = [
        (t.scopes[0], member, t.day.isoformat(), t.task, int(t.answer.correct))
        for t in tallies
        if t.day is not None and t.scopes
        for member in ("", t.answer.user_key)
    ]
    if rows:
        await db.executemany(
            "INSERT INTO task_days (scope, member, day, task, answered, correct) VALUES (?, ?, ?, ?, 1, ?) "
            "ON CONFLICT (scope, member, day, task) DO UPDATE SET answered = answered + 1, "
            "correct = correct + excluded.correct",
            rows,
        )


def _plan(row: aiosqlite.Row) -> StoredPlan:
    return StoredPlan(
        target=Target(platform=row["platform"], workspace=row["workspace"], channel=row["channel"]),
        weeks=row["weeks"],
        exam_date=date.fromisoformat(row["exam_date"]),
        layout=json.loads(row["layout"]),
        ready_pct=row["ready_pct"],
        comfortable_pct=row["comfortable_pct"],
        recap_schedule=row["recap_schedule"],
        countdown_schedule=row["countdown_schedule"],
    )


class PlanStore:
    """Mixin for SqliteRepository: study plans and the task-day aggregate."""

    _db: aiosqlite.Connection

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:  # pragma: no cover - overridden
        raise NotImplementedError

    async def save_plan(self, plan: StoredPlan, created_by: str | None, at: datetime) -> None:
        """Store (or replace) a channel's plan."""
        t = plan.target
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO study_plans (platform, workspace, channel, weeks, exam_date, layout, ready_pct, "
                "comfortable_pct, recap_schedule, countdown_schedule, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, channel) DO UPDATE SET "
                "weeks = excluded.weeks, exam_date = excluded.exam_date, layout = excluded.layout, "
                "ready_pct = excluded.ready_pct, comfortable_pct = excluded.comfortable_pct, "
                "recap_schedule = excluded.recap_schedule, countdown_schedule = excluded.countdown_schedule",
                (
                    t.platform,
                    t.workspace,
                    t.channel,
                    plan.weeks,
                    plan.exam_date.isoformat(),
                    json.dumps(plan.layout),
                    plan.ready_pct,
                    plan.comfortable_pct,
                    plan.recap_schedule,
                    plan.countdown_schedule,
                    created_by,
                    at.astimezone(UTC).isoformat(),
                ),
            )

    async def get_plan(self, target: Target) -> StoredPlan | None:
        """A channel's plan, if one runs."""
        async with self._db.execute(
            "SELECT * FROM study_plans WHERE platform = ? AND workspace = ? AND channel = ?",
            (target.platform, target.workspace, target.channel),
        ) as cur:
            row = await cur.fetchone()
        return _plan(row) if row else None

    async def delete_plan(self, target: Target) -> bool:
        """Forget a channel's plan."""
        async with self._transaction() as db:
            cur = await db.execute(
                "DELETE FROM study_plans WHERE platform = ? AND workspace = ? AND channel = ?",
                (target.platform, target.workspace, target.channel),
            )
            return cur.rowcount == 1

    async def task_days(self, scope: str, first: date, last: date) -> dict[str, dict[str, tuple[int, int]]]:
        """{member ('' = the group): {task: (answered, correct)}} of a channel over days first..last."""
        found: dict[str, dict[str, tuple[int, int]]] = {}
        async with self._db.execute(
            "SELECT member, task, SUM(answered), SUM(correct) FROM task_days WHERE scope = ? AND day >= ? AND day <= ? "
            "GROUP BY member, task",
            (scope, first.isoformat(), last.isoformat()),
        ) as cur:
            for member, task, answered, correct in await cur.fetchall():
                found.setdefault(member, {})[task] = (int(answered), int(correct))
        return found
