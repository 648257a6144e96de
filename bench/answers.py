"""Answer recording through QuizService on SQLite: commit per answer and group commit, against raw sqlite3 inserts.

Workload: question-of-the-day rounds in many channels, each answered once by many members (the burst after a
question is posted). Each answer goes through `QuizService.answer` exactly as a front door calls it: the round, the
channel's settings and the member's name come from the service's memory after their first read (bot.hot_reads), and
the answer is written (checking in the same statement that the round is still open) and then acknowledged.
Baseline: the very rows the run wrote, inserted again with plain `sqlite3` in this process on a file with the same
schema and pragmas, one commit per row (for the per-answer figures) and in batches of the size group commit used;
for latencies, the p99 time of one such raw commit. Each mode runs REPEATS times on fresh files and every figure
is the median of the runs (each run's value is printed too).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

from bench.common import Report, member, open_service, percentile, target
from bot.cards import QuestionCard
from bot.models import Answer, RoundKind, Tally
from bot.periods import period_keys
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository

CHANNELS, MEMBERS = 40, 250  # 10,000 distinct (round, member) answers per pass
GROUP_WINDOW_MS = 2.0
REPEATS = 3  # each mode measured on fresh files this many times, the median reported: a shared VM is noisy
CONCURRENCY = 64
UTC_ZONE = ZoneInfo("UTC")


CHOICES: dict[int, str] = {}  # round id -> a valid answer (as many letters as the question takes)


async def prepare(service: QuizService) -> list[tuple[int, int]]:
    """One open question of the day per channel; returns (channel, round_id)."""
    rounds = []
    for c in range(CHANNELS):
        card = await service.qotd(member(0), target(c))
        assert isinstance(card, QuestionCard)
        CHOICES[card.round_id] = ",".join(o.letter for o in card.options[: max(1, card.choose)])
        rounds.append((c, card.round_id))
    return rounds


def workload(rounds: list[tuple[int, int]], members: range) -> Iterator[tuple[int, int, int]]:
    """(member, channel, round) in an interleaved order: every channel gets answers all the time."""
    for m in members:
        for c, r in rounds:
            yield m, c, r


async def answer_one(service: QuizService, m: int, c: int, r: int) -> None:
    """One member answers one channel's question of the day."""
    await service.answer(member(m), target(c), r, 1, CHOICES[r])


async def sustained(service: QuizService, jobs: list[tuple[int, int, int]]) -> float:
    """Answers per second with CONCURRENCY members answering back to back."""
    feed = iter(jobs)

    async def worker() -> None:
        for m, c, r in feed:
            await answer_one(service, m, c, r)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return len(jobs) / (time.perf_counter() - started)


async def paced(
    service: QuizService, jobs: list[tuple[int, int, int]], rate: float
) -> tuple[list[float], list[float], float]:
    """Open loop at a fixed rate: each answer's latency (ms, from its call to its acknowledgement), how late the
    generator started each call after its scheduled arrival (ms), and the rate actually offered."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    lateness: list[float] = []
    running: set[asyncio.Task[None]] = set()  # only the answers in flight: finished ones are not kept alive
    start = loop.time() + 0.01

    async def timed(due: float, m: int, c: int, r: int) -> None:
        called = time.perf_counter()
        lateness.append((loop.time() - due) * 1000)
        await answer_one(service, m, c, r)
        latencies.append((time.perf_counter() - called) * 1000)

    for i, (m, c, r) in enumerate(jobs):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        task = asyncio.create_task(timed(due, m, c, r))
        running.add(task)
        task.add_done_callback(running.discard)
    while running:
        await asyncio.gather(*list(running))
    offered = len(jobs) / ((jobs and (start + (len(jobs) - 1) / rate - start)) or 1)
    return latencies, lateness, offered


@dataclass
class Raw:
    """The raw sqlite3 baseline: rows per second, and the p99 time of one commit (ms) of `batch` rows."""

    rate: float
    commit_p99: float


def raw_baseline(source: Path, batch: int) -> Raw:
    """Inserting `source`'s answers with plain sqlite3 in one process, `batch` rows per commit."""
    with sqlite3.connect(source) as db:
        rows = db.execute("SELECT * FROM answers").fetchall()
        schema = [s for (s,) in db.execute("SELECT sql FROM sqlite_master WHERE name IN ('rounds', 'answers')")]
        rounds = db.execute("SELECT * FROM rounds").fetchall()
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "raw.sqlite3", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            db.execute(f"PRAGMA {pragma}")
        for sql in schema:
            db.execute(sql)
        db.executemany(f"INSERT INTO rounds VALUES ({','.join('?' * len(rounds[0]))})", rounds)
        insert = "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
        commits: list[float] = []
        started = time.perf_counter()
        for chunk in (rows[i : i + batch] for i in range(0, len(rows), batch)):
            began = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            for row in chunk:
                db.execute(insert, row)
            db.execute("COMMIT")
            commits.append((time.perf_counter() - began) * 1000)
        elapsed = time.perf_counter() - started
        db.close()
    return Raw(len(rows) / elapsed, percentile(commits, 99))


@dataclass
class Measured:
    """One storage mode's figures."""

    rate: float
    latencies: list[float]
    lateness: list[float]
    offered: float
    mean_batch: float
    path: Path


async def measure(tmp: Path, group_ms: float) -> Measured:
    """Sustained rate, paced latencies, offered rate and mean batch size for one storage mode."""
    path = tmp / f"answers-{group_ms}.sqlite3"
    service, repo = await open_service(path, group_ms)
    try:
        rounds = await prepare(service)
        jobs = list(workload(rounds, range(1, MEMBERS + 1)))
        rate = await sustained(service, jobs)
        half = MEMBERS // 2
        paced_rate = 5_000.0 if group_ms else 500.0
        # fresh members for the paced pass (each answers once); 2 s of arrivals at the paced rate
        count = int(paced_rate * 2)
        more = list(itertools.islice(workload(rounds, range(MEMBERS + 1, MEMBERS + 1 + 10 * half)), count))
        gc.collect()  # start the measured pass without the garbage of the sustained pass before it
        gc.freeze()  # the generator's own job lists are not the bot's heap: keep them out of its collections
        latencies, lateness, offered = await paced(service, more, paced_rate)
        batches = repo._group.batches if repo._group else len(jobs) + len(more)
        mean_batch = (len(jobs) + len(more)) / max(1, batches)
    finally:
        await repo.close()
    return Measured(rate, latencies, lateness, offered, mean_batch, path)


async def repository_rate(tmp: Path, group_ms: float) -> float:
    """Answers/s through `record_answer` alone (aggregates counted now), CONCURRENCY callers: the storage's share."""
    repo = await SqliteRepository.open(tmp / f"repo-{group_ms}.sqlite3", group_commit_ms=group_ms)
    try:
        now = datetime.now(UTC)
        rounds = [
            (await repo.create_round(RoundKind.QUIZ, target(c), None, ["q"], now, None)).id for c in range(CHANNELS)
        ]
        tallies = [
            Tally(
                answer=Answer(
                    round_id=r,
                    question_no=1,
                    user_key=member(m).key,
                    question_id="1.1-x-0001",
                    choice="a",
                    correct=m % 3 > 0,
                    points=10 if m % 3 else 0,
                    answered_at=now,
                    elapsed_ms=1000,
                ),
                task="1.1",
                scopes=[target(c).channel_key, target(c).workspace_key],
                periods=period_keys(now, UTC_ZONE),
            )
            for m in range(MEMBERS)
            for c, r in enumerate(rounds)
        ]
        feed = iter(tallies)

        async def worker() -> None:
            for t in feed:
                await repo.record_answer(t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return len(tallies) / (time.perf_counter() - started)
    finally:
        await repo.close()


async def measured_runs(tmp: Path, group_ms: float) -> tuple[list[Measured], list[Raw]]:
    """REPEATS measurements of one mode on fresh files, each with its raw baseline taken right after it."""
    runs, raws = [], []
    for n in range(REPEATS):
        folder = tmp / f"mode-{group_ms}-run-{n}"
        folder.mkdir()
        run = await measure(folder, group_ms)
        runs.append(run)
        raws.append(raw_baseline(run.path, max(1, round(run.mean_batch)) if group_ms else 1))
    return runs, raws


async def run_async(report: Report) -> None:
    """Measure both modes and their same-run baselines; each figure is the median of REPEATS runs."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        ones, raws1 = await measured_runs(tmp, 0)
        rate1, raw1 = median([m.rate for m in ones]), median([r.rate for r in raws1])
        report.add(
            "per-answer commit, sustained",
            rate1,
            "answers/s",
            "raw sqlite3 commit per row",
            raw1,
            "≥ 2,000/s",
            rate1 >= 2000,
        )
        _runs("answers/s", [m.rate for m in ones])
        _latency(report, "per-answer commit", ones, "≤ 2 ms", 2, "raw sqlite3, one-row commit", raws1)
        groups, raws2 = await measured_runs(tmp, GROUP_WINDOW_MS)
        rate2, raw2 = median([m.rate for m in groups]), median([r.rate for r in raws2])
        batch = round(median([m.mean_batch for m in groups]))
        report.add(
            f"group commit ({GROUP_WINDOW_MS:g} ms window), sustained",
            rate2,
            "answers/s",
            f"raw sqlite3, {batch} rows per commit",
            raw2,
            "≥ 10,000/s",
            rate2 >= 10_000,
        )
        _runs("answers/s", [m.rate for m in groups])
        report.add("group commit vs per-answer commit, sustained", rate2, "answers/s", "per-answer commit", rate1)
        _latency(report, "group commit", groups, "≤ 15 ms", 15, f"raw sqlite3, {batch}-row commit", raws2)
        report.add("  (mean answers per group commit)", batch, "answers")
        alone = await repository_rate(tmp, 0)
        batched = await repository_rate(tmp, GROUP_WINDOW_MS)
        report.add(
            "repository only (record_answer with aggregates), commit per answer",
            alone,
            "answers/s",
            "raw sqlite3 commit per row",
            raw1,
        )
        report.add(
            "repository only, group commit",
            batched,
            "answers/s",
            "raw sqlite3 batched",
            raw2,
            "≥ 10,000/s (storage share)",
            batched >= 10_000,
        )


def _runs(unit: str, values: list[float]) -> None:
    print(f"    (the {len(values)} passes: {' / '.join(f'{v:,.2f}' for v in values)} {unit})", flush=True)


def _latency(
    report: Report, mode: str, runs: list[Measured], target_text: str, limit_ms: float, raw_name: str, raws: list[Raw]
) -> None:
    p99s = [percentile(m.latencies, 99) for m in runs]
    p99 = median(p99s)
    offered = median([m.offered for m in runs])
    report.add(
        f"{mode}, p99 latency at {offered:,.0f} answers/s offered",
        p99,
        "ms",
        f"{raw_name}, p99",
        median([r.commit_p99 for r in raws]),
        target_text,
        p99 <= limit_ms,
    )
    _runs("ms", p99s)
    report.add("  (p50 at the same rate)", median([percentile(m.latencies, 50) for m in runs]), "ms")
    report.add("  (max at the same rate)", median([max(m.latencies) for m in runs]), "ms")
    # The generator's own timer (asyncio sleeps wake up to a millisecond late) is shown apart, not added in.
    report.add("  (how late the generator called, p99)", median([percentile(m.lateness, 99) for m in runs]), "ms")


def run(report: Report) -> None:
    """Entry point used by `python -m bench`."""
    asyncio.run(run_async(report))
