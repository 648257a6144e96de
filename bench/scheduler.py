"""Scheduler lateness with 1,000 schedules, and heap per open round.

Lateness: 1,000 one-off jobs through bot.scheduling.ApScheduler (APScheduler's AsyncIOScheduler, as the bot runs
it), due at near-future times spread over 2 s; lateness = actual start minus due time. Baseline: the same due
times with the event loop's own `call_at`, in the same run.
Heap: tracemalloc over 100 open question-of-the-day rounds (each with its armed close job), per round; baseline: the
same rounds with a scheduler that only remembers the job.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import NullScheduler, Report, bank, member, percentile, target
from bot.clock import SystemClock
from bot.scheduling import ApScheduler
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository

JOBS = 1_000
ROUNDS = 100


async def lateness_apscheduler() -> list[float]:
    """Milliseconds late for each job."""
    scheduler = ApScheduler()
    scheduler.start()
    late: list[float] = []
    done = asyncio.Event()
    start = datetime.now(UTC) + timedelta(seconds=0.5)

    def job(due: datetime):  # type: ignore[no-untyped-def]
        async def call() -> None:
            late.append((datetime.now(UTC) - due).total_seconds() * 1000)
            if len(late) == JOBS:
                done.set()

        return call

    for n in range(JOBS):
        due = start + timedelta(seconds=2 * n / JOBS)
        scheduler.at(due, f"bench:{n}", job(due))
    await asyncio.wait_for(done.wait(), 30)
    scheduler.shutdown()
    return late


async def lateness_call_at() -> list[float]:
    """Milliseconds late for each callback scheduled with loop.call_at."""
    loop = asyncio.get_running_loop()
    late: list[float] = []
    done = asyncio.Event()
    start = time.monotonic() + 0.5

    def fire(due: float) -> None:
        late.append((time.monotonic() - due) * 1000)
        if len(late) == JOBS:
            done.set()

    for n in range(JOBS):
        due = start + 2 * n / JOBS
        loop.call_at(loop.time() + (due - time.monotonic()), fire, due)
    await asyncio.wait_for(done.wait(), 30)
    return late


async def heap_per_round(path: Path, with_jobs: bool) -> float:
    """Bytes of Python heap each open round holds (rounds and their close jobs kept alive by the running bot)."""
    repo = await SqliteRepository.open(path)
    scheduler = ApScheduler() if with_jobs else NullScheduler()
    if isinstance(scheduler, ApScheduler):
        scheduler.start()
    service = QuizService(bank(), repo, scheduler, SystemClock())  # type: ignore[arg-type]
    await service.qotd(member(0), target(10_000))  # warm caches so they are not charged to the rounds
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for c in range(ROUNDS):
        await service.qotd(member(c), target(c))
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    if isinstance(scheduler, ApScheduler):
        scheduler.shutdown()
    await repo.close()
    return grown / ROUNDS


def run(report: Report) -> None:
    """Both figures with their baselines."""
    aps = asyncio.run(lateness_apscheduler())
    raw = asyncio.run(lateness_call_at())
    p99 = percentile(aps, 99)
    report.add(
        f"lateness of {JOBS} APScheduler jobs, p99",
        p99,
        "ms",
        "loop.call_at, same due times, p99",
        percentile(raw, 99),
        "≤ 100 ms",
        p99 <= 100,
    )
    report.add("  lateness p50", percentile(aps, 50), "ms", "loop.call_at p50", percentile(raw, 50))
    with tempfile.TemporaryDirectory() as tmp:
        per_round = asyncio.run(heap_per_round(Path(tmp) / "a.sqlite3", True)) / 1024
        bare = asyncio.run(heap_per_round(Path(tmp) / "b.sqlite3", False)) / 1024
    report.add(
        f"heap per open round ({ROUNDS} rounds, close jobs armed)",
        per_round,
        "KiB",
        "same rounds, jobs only remembered",
        bare,
        "≤ 64 KiB",
        per_round <= 64,
    )
