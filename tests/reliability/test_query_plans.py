"""Leaderboards and stats read the aggregate tables by index: no query they run scans the answers table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.models import Target
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import member


async def traced(repo: SqliteRepository, path: Path, calls: list[object]) -> list[str]:
    """Every statement the calls ran, as executed (values bound)."""
    statements: list[str] = []
    await repo._db.set_trace_callback(statements.append)
    for call in calls:
        await call  # type: ignore[misc]
    await repo._db.set_trace_callback(None)
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def plan(path: Path, sql: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]


async def test_leaderboard_and_stats_never_scan_answers(
    service: QuizService, repo: SqliteRepository, channel: Target, tmp_path: Path
) -> None:
    people = [member(f"m{i}") for i in range(12)]
    for person in people:  # some real rows, so the planner has something to choose between
        card = await service.start_quiz(person, channel, _request(service))
        await service.answer(person, channel, card.round_id, 1, ",".join(o.letter for o in card.options[: card.choose]))
    path = tmp_path / "quizbot.sqlite3"  # no ANALYZE: the planner assumes big tables, as at 1,000,000 answers
    selects = await traced(
        repo,
        path,
        [
            service.leaderboard(channel),
            service.leaderboard(channel, workspace=True, period="week"),
            service.leaderboard(channel, period="month"),
            service.stats(people[3]),
        ],
    )
    assert any("FROM scores" in s for s in selects) and any("FROM task_stats" in s for s in selects)
    for sql in selects:
        steps = plan(path, sql)
        assert not [s for s in steps if s.startswith("SCAN")], f"{sql}\n  plans a scan: {steps}"
        assert "answers" not in sql.split("FROM", 1)[1].split("WHERE")[0], f"reads the answers table: {sql}"


def _request(service: QuizService) -> object:
    from bot.commands import parse, quiz_request

    return quiz_request(parse("quiz 1"), service.bank)
