"""Leaderboard top 10 and a member's per-task stats in one server holding 1,000,000 answers.

The file is filled the fast way (plain sqlite3, big transactions): 10,000 question-of-the-day rounds in 20 channels,
each answered by 100 of 5,000 members over 500 days, with the aggregate tables (`scores` per channel and server
for all time, week, month and season; `task_stats`) computed from those answers exactly as the answer path adds
them. Timed: `QuizService.leaderboard` and `QuizService.stats` (what a front door renders), and the repository
calls alone; baseline: the same SQL run synchronously on a plain sqlite3 connection in this process.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import Report, bank, member, open_service, percentile, target
from bot.periods import period_keys

ANSWERS, MEMBERS, CHANNELS, PER_ROUND = 1_000_000, 5_000, 20, 100
ROUNDS = ANSWERS // PER_ROUND
SAMPLES = 400
T0 = datetime(2025, 1, 1, 9, tzinfo=UTC)
LEADERBOARD_SQL = (
    "SELECT user_key, points, answered, correct FROM scores WHERE scope = ? AND period = ? "
    "ORDER BY points DESC, correct DESC, answered ASC, user_key LIMIT ? OFFSET ?"
)
STATS_SQL = "SELECT task, answered, correct FROM task_stats WHERE user_key = ?"


def populate(path: Path) -> None:
    """Write 1,000,000 answers and their aggregates into a migrated file."""
    questions = list(bank().questions.values())
    rng = random.Random(14)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")  # filling a scratch file; the timed part runs with the normal pragmas
    db.execute("BEGIN")
    db.execute("CREATE TEMP TABLE round_scope (round_id INTEGER, scope TEXT, period TEXT)")
    db.execute("CREATE TEMP TABLE round_task (round_id INTEGER PRIMARY KEY, task TEXT)")
    for r in range(1, ROUNDS + 1):
        where = target(r % CHANNELS)
        q = questions[r % len(questions)]
        opened = T0 + timedelta(hours=r * 500 * 24 // ROUNDS)
        db.execute(
            "INSERT INTO rounds (id, kind, platform, workspace, channel, owner, question_ids, opened_at, closes_at, "
            "closed_at, slot) VALUES (?, 'qotd', ?, ?, ?, NULL, ?, ?, ?, ?, NULL)",
            (
                r,
                where.platform,
                where.workspace,
                where.channel,
                f'["{q.id}"]',
                opened.isoformat(),
                (opened + timedelta(hours=9)).isoformat(),
                (opened + timedelta(hours=9)).isoformat(),
            ),
        )
        db.execute("INSERT INTO round_task VALUES (?, ?)", (r, q.task))
        for period in period_keys(opened, ZoneInfo("UTC")):
            db.executemany(
                "INSERT INTO round_scope VALUES (?, ?, ?)",
                [(r, where.channel_key, period), (r, where.workspace_key, period)],
            )

        def rows(r: int = r, opened: datetime = opened, qid: str = q.id) -> list[tuple[object, ...]]:
            first = rng.randrange(MEMBERS)
            out = []
            for k in range(PER_ROUND):
                correct = rng.random() < 0.7
                out.append(
                    (
                        r,
                        1,
                        member((first + k * 37) % MEMBERS).key,
                        qid,
                        "a",
                        int(correct),
                        10 if correct else 0,
                        (opened + timedelta(seconds=k)).isoformat(),
                        1000 + k,
                    )
                )
            return out

        db.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    db.execute(
        "INSERT INTO scores (scope, period, user_key, points, answered, correct) "
        "SELECT s.scope, s.period, a.user_key, SUM(a.points), COUNT(*), SUM(a.correct) "
        "FROM answers a JOIN round_scope s ON s.round_id = a.round_id GROUP BY s.scope, s.period, a.user_key"
    )
    db.execute(
        "INSERT INTO task_stats (user_key, task, answered, correct) "
        "SELECT a.user_key, t.task, COUNT(*), SUM(a.correct) "
        "FROM answers a JOIN round_task t ON t.round_id = a.round_id "
        "GROUP BY a.user_key, t.task"
    )
    db.executemany(
        "INSERT INTO members (user_key, name) VALUES (?, ?)", [(member(m).key, member(m).name) for m in range(MEMBERS)]
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def plans(path: Path) -> list[str]:
    """EXPLAIN QUERY PLAN of both queries."""
    db = sqlite3.connect(path)
    out = []
    for sql, params in ((LEADERBOARD_SQL, ("ws:console:bench", "all", 10, 0)), (STATS_SQL, (member(1).key,))):
        detail = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
        out.append(" / ".join(detail))
    db.close()
    return out


def raw_times(path: Path, periods: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds per call of the same two queries on a plain sqlite3 connection."""
    db = sqlite3.connect(path)
    rng = random.Random(2)
    board, stats = [], []
    for i in range(SAMPLES):
        scope = "ws:console:bench" if i % 2 else target(i % CHANNELS).channel_key
        started = time.perf_counter()
        db.execute(LEADERBOARD_SQL, (scope, periods[i % len(periods)], 10, 0)).fetchall()
        board.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        db.execute(STATS_SQL, (member(rng.randrange(MEMBERS)).key,)).fetchall()
        stats.append((time.perf_counter() - started) * 1000)
    db.close()
    return board, stats


async def service_times(path: Path) -> tuple[list[float], list[float], list[float], list[float]]:
    """Milliseconds per call through QuizService and through the repository alone."""
    service, repo = await open_service(path)
    rng = random.Random(2)
    board, stats, repo_board, repo_stats = [], [], [], []
    periods = ["all", "week", "month"]
    try:
        for i in range(SAMPLES):
            where = target(i % CHANNELS)
            started = time.perf_counter()
            await service.leaderboard(where, workspace=bool(i % 2), period=periods[i % 3])
            board.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await service.stats(member(rng.randrange(MEMBERS)))
            stats.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await repo.leaderboard("ws:console:bench" if i % 2 else where.channel_key, "all", 10)
            repo_board.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await repo.task_stats(member(rng.randrange(MEMBERS)).key)
            repo_stats.append((time.perf_counter() - started) * 1000)
    finally:
        await repo.close()
    return board, stats, repo_board, repo_stats


def run(report: Report) -> None:
    """Fill, then time both queries."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "million.sqlite3"
        _, repo = asyncio.run(open_service(path))
        asyncio.run(repo.close())
        started = time.perf_counter()
        populate(path)
        with sqlite3.connect(path) as db:
            count = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            scores = db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        print(f"  filled {count:,} answers, {scores:,} score rows in {time.perf_counter() - started:.1f} s")
        for line in plans(path):
            print(f"  plan: {line}")
        now = datetime.now(UTC)
        periods = [p for p in period_keys(now, ZoneInfo("UTC"))[:3]]
        raw_board, raw_stats = raw_times(path, ["all", *periods[1:]])
        board, stats, repo_board, repo_stats = asyncio.run(service_times(path))
        p_board, p_stats = percentile(board, 99), percentile(stats, 99)
        report.add(
            "leaderboard top 10 via QuizService, p99",
            p_board,
            "ms",
            "raw sqlite3 same query p99",
            percentile(raw_board, 99),
            "≤ 10 ms",
            p_board <= 10,
        )
        report.add(
            "  leaderboard via the repository, p99",
            percentile(repo_board, 99),
            "ms",
            "raw sqlite3 same query p99",
            percentile(raw_board, 99),
        )
        report.add(
            "member per-task stats via QuizService, p99",
            p_stats,
            "ms",
            "raw sqlite3 same query p99",
            percentile(raw_stats, 99),
            "≤ 5 ms",
            p_stats <= 5,
        )
        report.add(
            "  per-task stats via the repository, p99",
            percentile(repo_stats, 99),
            "ms",
            "raw sqlite3 same query p99",
            percentile(raw_stats, 99),
        )
