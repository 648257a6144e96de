"""The Repository contract on SQLite and PostgreSQL (conftest.py): migrations, idempotent writes, aggregates."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Answer, RoundKind, Tally, Target
from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SqliteRepository, migrations

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
HERE = Target(platform="console", workspace="console", channel="study")


def answer(round_id: int, user: str, correct: bool = True, question_no: int = 1, points: int = 10) -> Answer:
    return Answer(
        round_id=round_id,
        question_no=question_no,
        user_key=user,
        question_id=f"q{question_no}",
        choice="a",
        correct=correct,
        points=points if correct else 0,
        answered_at=T0,
        elapsed_ms=1200,
    )


def tally(
    a: Answer, task: str = "1.1", scopes: tuple[str, ...] = ("ch",), periods: tuple[str, ...] = ("all",)
) -> Tally:
    return Tally(answer=a, task=task, scopes=list(scopes), periods=list(periods))


async def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await SqliteRepository.open(path)
    assert await repo.schema_version() == migrations()[-1][0]
    await repo.close()
    again = await SqliteRepository.open(path)  # reopening applies nothing twice
    assert await again.migrate() == migrations()[-1][0]
    await again.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(migrations())


async def test_two_processes_opening_at_once_migrate_safely(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repos = await asyncio.gather(*(SqliteRepository.open(path) for _ in range(4)))
    assert {await r.schema_version() for r in repos} == {migrations()[-1][0]}
    for r in repos:
        await r.close()


async def test_a_slot_creates_one_round(repo: SqliteRepository) -> None:
    rounds = await asyncio.gather(
        *(
            repo.create_round(RoundKind.QOTD, HERE, None, [f"q{i}"], T0, T0 + timedelta(hours=9), "qotd:x")
            for i in range(5)
        )
    )
    assert len({r.id for r in rounds}) == 1
    assert len(await repo.open_rounds()) == 1


async def test_a_duplicate_answer_is_reported_and_never_double_counted(repo: SqliteRepository) -> None:
    rnd = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    assert await repo.record_answer(tally(answer(rnd.id, "u:1"))) is True
    assert await repo.record_answer(tally(answer(rnd.id, "u:1", correct=False))) is False
    assert await repo.leaderboard("ch", "all", 10) == [("u:1", 10, 1, 1)]
    assert await repo.task_stats("u:1") == {"1.1": (1, 1)}


async def test_concurrent_answers_from_many_users_all_count_once(repo: SqliteRepository) -> None:
    rnd = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    users = [f"u:{n}" for n in range(200)]
    # Every user answers twice at the same moment (a double click): one row each, one score each.
    results = await asyncio.gather(
        *(
            repo.record_answer(tally(answer(rnd.id, u, correct=n % 3 != 0), scopes=("ch", "ws"), periods=("all", "w")))
            for n, u in enumerate(users)
            for _ in range(2)
        )
    )
    assert results.count(True) == 200
    assert await repo.answer_count(rnd.id, 1) == 200
    board = await repo.leaderboard("ch", "all", 1000)
    assert len(board) == 200 and sum(row[2] for row in board) == 200
    assert sum(row[3] for row in board) == sum(1 for n in range(200) if n % 3 != 0)


async def test_answers_counted_at_close_are_tallied_exactly_once(repo: SqliteRepository) -> None:
    rnd = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    counted = [tally(answer(rnd.id, u)) for u in ("u:1", "u:2")]
    for t in counted:
        assert await repo.record_answer(t, count_now=False)
    assert await repo.leaderboard("ch", "all", 10) == []  # nothing shows before the reveal
    closes = await asyncio.gather(*(repo.close_round(rnd.id, T0, counted) for _ in range(3)))
    assert closes == [True, False, False]
    assert await repo.leaderboard("ch", "all", 10) == [("u:1", 10, 1, 1), ("u:2", 10, 1, 1)]
    assert await repo.open_rounds() == []


history = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 5), st.sampled_from(["1.1", "2.1", "3.4"]), st.booleans()), max_size=40
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history)
async def test_aggregates_match_a_recount_of_the_answers(
    tmp_path: Path, events: list[tuple[int, int, str, bool]]
) -> None:
    repo = await SqliteRepository.open(tmp_path / f"h{abs(hash(tuple(events)))}.sqlite3")
    try:
        rnd = await repo.create_round(RoundKind.QOTD, HERE, None, [f"q{i}" for i in range(6)], T0, None)
        for user, question, task, correct in events:
            await repo.record_answer(tally(answer(rnd.id, f"u:{user}", correct, question + 1), task))
        stored = await repo.answers(rnd.id)
        expect_points: Counter[str] = Counter()
        expect_tasks: Counter[tuple[str, str, bool]] = Counter()
        first = {}
        for user, question, task, correct in events:
            first.setdefault((user, question), (task, correct))
        for (user, _), (task, correct) in first.items():
            expect_points[f"u:{user}"] += 10 if correct else 0
            expect_tasks[(f"u:{user}", task, correct)] += 1
        assert len(stored) == len(first)
        board = {key: points for key, points, _, _ in await repo.leaderboard("ch", "all", 100)}
        assert board == {k: v for k, v in expect_points.items()} | {k: 0 for k in board if k not in expect_points}
        for user in {f"u:{u}" for u, *_ in events}:
            stats = await repo.task_stats(user)
            for task, (answered, correct) in stats.items():
                assert answered == expect_tasks[(user, task, True)] + expect_tasks[(user, task, False)]
                assert correct == expect_tasks[(user, task, True)]
    finally:
        await repo.close()


async def test_leaderboard_query_reads_the_scores_table_only(repo: SqliteRepository) -> None:
    explain = "EXPLAIN" if isinstance(repo, PostgresRepository) else "EXPLAIN QUERY PLAN"
    plan = await (
        await repo._db.execute(
            f"{explain} SELECT user_key, points, answered, correct FROM scores WHERE scope = ? AND period = ? "
            "ORDER BY points DESC, correct DESC, answered ASC, user_key LIMIT 10",
            ("ch", "all"),
        )
    ).fetchall()
    text = " ".join(str(tuple(row)) for row in plan)
    assert "answers" not in text and "scores" in text


async def test_settings_and_member_names_round_trip(repo: SqliteRepository) -> None:
    await repo.set_settings("ch:x", {"timezone": "Europe/Berlin"})
    await repo.set_settings("ch:x", {"timezone": "UTC", "reveal": "07:00"})
    assert await repo.get_settings("ch:x") == {"timezone": "UTC", "reveal": "07:00"}
    await repo.remember_member("u:1", "Ada")
    await repo.remember_member("u:1", "Ada L.")
    assert await repo.member_names(["u:1", "u:2"]) == {"u:1": "Ada L."}
