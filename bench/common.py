"""Shared pieces of the benchmarks: the shipped bank, a service on a fresh SQLite file, percentiles, reporting."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.bank import Bank, default_bank_dir, load_bank
from bot.clock import SystemClock
from bot.models import Target, UserRef
from bot.service import QuizService
from bot.storage.sqlite import SqliteRepository

_BANK: Bank | None = None


def bank() -> Bank:
    """The shipped question bank (loaded once per run)."""
    global _BANK
    if _BANK is None:
        _BANK = load_bank(default_bank_dir())
    return _BANK


class NullScheduler:
    """Remembers jobs without running them: benchmarks never wait for a reveal."""

    def __init__(self) -> None:
        self.jobs: dict[str, object] = {}

    def at(self, when: datetime, job_id: str, call: object) -> None:
        """Remember the job."""
        self.jobs[job_id] = call

    def cancel(self, job_id: str) -> None:
        """Forget the job."""
        self.jobs.pop(job_id, None)


async def open_service(path: Path, group_commit_ms: float = 0) -> tuple[QuizService, SqliteRepository]:
    """A QuizService on a fresh SQLite file, with the real clock and the shipped bank."""
    repo = await SqliteRepository.open(path, group_commit_ms=group_commit_ms)
    service = QuizService(bank(), repo, NullScheduler(), SystemClock())
    gc.freeze()  # as `quizbot run` does once it is built (adapters.main)
    return service, repo


def target(channel: int, platform_name: str = "console") -> Target:
    """A channel of the benchmark workspace."""
    return Target(platform=platform_name, workspace="bench", channel=f"c{channel}")


def member(n: int, platform_name: str = "console") -> UserRef:
    """A benchmark member."""
    return UserRef(platform=platform_name, user_id=f"m{n}", name=f"member {n}")


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Report:
    """Figures of one benchmark: (name, value, unit, baseline name, baseline value, target text, met)."""

    title: str
    rows: list[tuple[str, float, str, str, float, str, bool | None]] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        baseline: str = "",
        baseline_value: float = float("nan"),
        target: str = "",
        met: bool | None = None,
    ) -> None:
        """Add one figure (and print it at once, so a long run shows progress)."""
        self.rows.append((name, value, unit, baseline, baseline_value, target, met))
        print(self.line(self.rows[-1]), flush=True)

    @staticmethod
    def line(row: tuple[str, float, str, str, float, str, bool | None]) -> str:
        """One figure as text: value, baseline, ratio, target."""
        name, value, unit, baseline, base, target, met = row
        text = f"  {name}: {value:,.2f} {unit}"
        if baseline:
            ratio = value / base if base else float("nan")
            text += f" | baseline {baseline}: {base:,.2f} {unit} | ratio {ratio:.3f}"
        if target:
            text += f" | target {target}: {'met' if met else 'MISSED'}"
        return text


def machine() -> str:
    """The machine a run measured: cores, CPU model, Python and SQLite versions."""
    import sqlite3

    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"nproc {os.cpu_count()}, {model}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.release()}, {datetime.now(UTC):%Y-%m-%d}"
    )


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (nan for none)."""
    return statistics.fmean(values) if values else float("nan")
