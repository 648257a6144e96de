"""Study-plan storage under contract (SQLite and PostgreSQL): plans round-trip, and answers fill `task_days`."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.models import Answer, RoundKind, Tally, Target
from bot.periods import period_keys
from bot.plans import StoredPlan
from bot.storage.sqlite import SqliteRepository

CHANNEL = Target(platform="console", workspace="console", channel="study")
AT = datetime(2026, 11, 25, 12, tzinfo=UTC)


async def test_plans_round_trip_and_task_days_add_up(repo: SqliteRepository) -> None:
    plan = StoredPlan(CHANNEL, 6, date(2027, 1, 4), [["1.1"], ["2.1"], [], [], [], []], 70, 85, 3, 4)
    await repo.save_plan(plan, "console:ada", AT)
    assert await repo.get_plan(CHANNEL) == plan
    moved = StoredPlan(CHANNEL, 6, date(2027, 1, 4), [["2.1", "1.1"], [], [], [], [], []], 70, 85, 3, 4)
    await repo.save_plan(moved, None, AT)
    assert await repo.get_plan(CHANNEL) == moved

    rnd = await repo.create_round(RoundKind.DRILL, CHANNEL, None, ["q1", "q2", "q3"], AT, None)
    for number, (user, ok) in enumerate([("a", True), ("a", False), ("b", True)], start=1):
        answer = Answer(round_id=rnd.id, question_no=number, user_key=f"console:{user}", question_id=f"q{number}",
                        choice="A", correct=ok, points=0, answered_at=AT, elapsed_ms=5)  # fmt: skip
        tally = Tally(
            answer=answer, task="1.1", scopes=[CHANNEL.channel_key], periods=period_keys(AT, UTC), day=AT.date()
        )
        assert await repo.record_answer(tally)
    week = await repo.task_days(CHANNEL.channel_key, date(2026, 11, 23), date(2026, 11, 29))
    assert week == {"": {"1.1": (3, 2)}, "console:a": {"1.1": (2, 1)}, "console:b": {"1.1": (1, 1)}}
    assert await repo.task_days(CHANNEL.channel_key, date(2026, 11, 16), date(2026, 11, 22)) == {}

    assert await repo.delete_plan(CHANNEL)
    assert await repo.get_plan(CHANNEL) is None
