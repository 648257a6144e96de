"""Group commit keeps exactly-once answers: concurrent duplicates report False, acks come only after the commit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import RoundKind
from bot.ports import AnswersChanged
from bot.storage.sqlite import SqliteRepository
from tests.storage.tallies import HERE, T0, tally

AGGREGATES = ("scores", "task_stats")


def table(path: Path, name: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute(f"SELECT * FROM {name}").fetchall())


async def open_grouped(path: Path, window_ms: float = 3) -> SqliteRepository:
    return await SqliteRepository.open(path, group_commit_ms=window_ms)


async def test_concurrent_duplicates_are_recorded_once_and_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await open_grouped(path)
    rnd = await repo.create_round(RoundKind.QUIZ, HERE, None, ["q1", "q2"], T0, None)
    # 60 members x 2 questions, each delivered 3 times (double clicks, retries), all at once in shuffled order
    calls = [(u, q, n) for n in range(3) for u in range(60) for q in (1, 2)]
    calls.sort(key=lambda c: hash((c[0] * 7919 + c[1] * 31 + c[2]) % 97))
    results = await asyncio.gather(
        *(repo.record_answer(tally(rnd.id, f"u:{u}", q, correct=(u + n) % 2 == 0)) for u, q, n in calls)
    )
    assert sum(results) == 120  # one True per (member, question), every repeat False
    winners = {(u, q): n for (u, q, n), ok in zip(calls, results, strict=True) if ok}
    assert len(winners) == 120
    answers = await repo.answers(rnd.id)
    assert len(answers) == 120
    for a in answers:  # the stored row is the delivery that was told True, not a later one
        u, q = int(a.user_key[2:]), a.question_no
        assert a.correct == ((u + winners[(u, q)]) % 2 == 0)
    assert repo._group is not None and repo._group.batches < len(calls) // 10  # they really were batched
    await repo.close()
    # aggregates equal a recount from the answers table
    with sqlite3.connect(path) as db:
        recount = db.execute("SELECT user_key, COUNT(*), SUM(correct), SUM(points) FROM answers GROUP BY user_key")
        expected = {row[0]: row[1:] for row in recount}
        stats = {r[0]: (r[2], r[3]) for r in db.execute("SELECT * FROM task_stats")}
        scores = db.execute("SELECT scope, period, user_key, answered, correct, points FROM scores").fetchall()
    assert stats == {k: (v[0], v[1]) for k, v in expected.items()}
    assert len(scores) == 4 * 60
    assert all((answered, correct, points) == expected[user] for _, _, user, answered, correct, points in scores)


async def test_an_answer_already_committed_is_reported_false_in_a_later_batch(tmp_path: Path) -> None:
    repo = await open_grouped(tmp_path / "q.sqlite3")
    rnd = await repo.create_round(RoundKind.QUIZ, HERE, None, ["q1"], T0, None)
    assert await repo.record_answer(tally(rnd.id, "u:1")) is True
    assert await repo.record_answer(tally(rnd.id, "u:1", correct=False)) is False
    assert await repo.task_stats("u:1") == {"1.1": (1, 1)}
    await repo.close()


async def test_each_caller_is_acknowledged_only_after_its_batch_committed(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await open_grouped(path, window_ms=20)
    rnd = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    seen_by_other_connection: list[bool] = []

    async def answer_and_look(user: str) -> None:
        assert await repo.record_answer(tally(rnd.id, user), count_now=False)
        # another connection (another process after a kill -9) already sees the acknowledged row
        with sqlite3.connect(path) as other:
            row = other.execute("SELECT 1 FROM answers WHERE user_key = ?", (user,)).fetchone()
        seen_by_other_connection.append(row is not None)

    pending = [asyncio.create_task(answer_and_look(f"u:{i}")) for i in range(25)]
    await asyncio.sleep(0.005)  # inside the 20 ms window: queued, not committed, so nobody is acknowledged yet
    assert seen_by_other_connection == []
    assert table(path, "answers") == []
    await asyncio.gather(*pending)
    assert seen_by_other_connection == [True] * 25
    assert table(path, "scores") == []  # count_now=False: question-of-the-day answers reach scores at the reveal
    await repo.close()


async def test_a_bad_row_fails_alone_and_its_batch_neighbours_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await open_grouped(path)
    rnd = await repo.create_round(RoundKind.QUIZ, HERE, None, ["q1"], T0, None)
    with sqlite3.connect(path) as db:  # a row the database refuses (as a constraint or a full disk would)
        db.execute(
            "CREATE TRIGGER refuse_x BEFORE INSERT ON answers WHEN NEW.user_key = 'u:x' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    good = [repo.record_answer(tally(rnd.id, f"u:{i}")) for i in range(5)]
    bad = repo.record_answer(tally(rnd.id, "u:x"))
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert results[:5] == [True] * 5
    assert isinstance(results[5], sqlite3.IntegrityError)
    assert len(await repo.answers(rnd.id)) == 5
    assert len(table(path, "task_stats")) == 5
    await repo.close()


@pytest.mark.parametrize("group_commit_ms", [0, 3])
async def test_a_closed_or_unknown_round_takes_no_answer(tmp_path: Path, group_commit_ms: float) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await SqliteRepository.open(path, group_commit_ms=group_commit_ms)
    open_ = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    closed = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    assert await repo.close_round(closed.id, T0, covers_all=True)
    results = await asyncio.gather(
        *(repo.record_answer(tally(r, "u:1"), count_now=n) for r in (open_.id, closed.id, 9999) for n in (False, True))
    )
    assert results == [True, False, False, False, False, False]
    assert [(a.round_id, a.user_key) for a in await repo.answers(open_.id)] == [(open_.id, "u:1")]
    assert await repo.answers(closed.id) == [] and await repo.answers(9999) == []
    await repo.close()


async def test_a_close_that_missed_an_answer_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await SqliteRepository.open(path)
    rnd = await repo.create_round(RoundKind.QOTD, HERE, None, ["q1"], T0, None)
    first, late = tally(rnd.id, "u:1"), tally(rnd.id, "u:2")
    assert await repo.record_answer(first, count_now=False)
    assert await repo.record_answer(late, count_now=False)  # lands after the closer read the answers
    with pytest.raises(AnswersChanged):
        await repo.close_round(rnd.id, T0, [first], covers_all=True)
    assert (await repo.get_round(rnd.id)).is_open  # type: ignore[union-attr]
    assert table(path, "scores") == []
    assert await repo.close_round(rnd.id, T0, [first, late], covers_all=True)
    assert [row[2] for row in table(path, "task_stats")] == [1, 1]
    await repo.close()


async def test_close_commits_what_is_queued(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    repo = await open_grouped(path, window_ms=500)
    rnd = await repo.create_round(RoundKind.QUIZ, HERE, None, ["q1"], T0, None)
    queued = [asyncio.create_task(repo.record_answer(tally(rnd.id, f"u:{i}"))) for i in range(10)]
    await asyncio.sleep(0)
    await repo.close()  # far sooner than the 500 ms window
    assert [t.result() for t in queued] == [True] * 10
    assert len(table(path, "answers")) == 10


@pytest.mark.parametrize("group_commit_ms", [0, 2])
async def test_both_paths_leave_the_same_tables(tmp_path: Path, group_commit_ms: float) -> None:
    path = tmp_path / f"q{group_commit_ms}.sqlite3"
    repo = await SqliteRepository.open(path, group_commit_ms=group_commit_ms)
    rnd = await repo.create_round(RoundKind.QUIZ, HERE, None, ["q1", "q2"], T0, None)
    results = await asyncio.gather(
        *(repo.record_answer(tally(rnd.id, f"u:{i % 7}", 1 + i % 2, correct=i % 3 == 0)) for i in range(40))
    )
    await repo.close()
    assert sum(results) == 14
    assert table(path, "task_stats") == [(f"u:{u}", "1.1", 2, c) for u, c in sorted(EXPECTED_CORRECT.items())]


# i -> (user i % 7, question 1 + i % 2, correct when i % 3 == 0); the first delivery of each (user, question) wins
EXPECTED_CORRECT = {
    u: sum(next(i for i in range(40) if i % 7 == u and 1 + i % 2 == q) % 3 == 0 for q in (1, 2)) for u in range(7)
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 3)), min_size=1, max_size=40))
def test_the_number_of_true_answers_is_the_number_of_distinct_keys(tmp_path: Path, keys: list[tuple[int, int]]) -> None:
    async def scenario() -> tuple[list[bool], int]:
        path = tmp_path / f"h{abs(hash(tuple(keys)))}.sqlite3"
        path.unlink(missing_ok=True)
        repo = await open_grouped(path, window_ms=1)
        rnd = await repo.create_round(RoundKind.QUIZ, HERE, None, ["q1", "q2", "q3"], T0, None)
        results = await asyncio.gather(*(repo.record_answer(tally(rnd.id, f"u:{u}", q)) for u, q in keys))
        total = sum(n for _, _, n in await repo_counts(repo))
        await repo.close()
        return list(results), total

    results, answered = asyncio.run(scenario())
    assert sum(results) == len(set(keys)) == answered


async def repo_counts(repo: SqliteRepository) -> list[tuple[str, str, int]]:
    users = {f"u:{u}" for u in range(6)}
    return [(u, task, n) for u in sorted(users) for task, (n, _) in (await repo.task_stats(u)).items()]
