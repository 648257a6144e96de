"""100 kill -9 cycles of a real `quizbot console` answering quizzes; every acknowledged answer must survive.

Figure: acknowledged answers lost (target 0) and double counts found, over all cycles; baseline: the number of
answers acknowledged (the ratio is the share lost). Each cycle checks PRAGMA integrity_check and that the
aggregates equal a recount of the answers table, as tests/reliability/test_crash_safety.py does for 5 cycles.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from pathlib import Path

from bench.common import Report, mean
from tests.reliability.crash_driver import check_file, run_cycle

CYCLES = 100


def run(report: Report) -> None:
    """Run the cycles and report losses."""
    rng = random.Random(1400)
    acked: list[tuple[str, int]] = []
    problems: list[str] = []
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        for cycle in range(CYCLES):
            result = run_cycle(data, cycle, rng, answers=rng.randint(3, 15))
            acked += result.acked
            seconds.append(result.seconds)
            found = check_file(data / "quizbot.sqlite3", acked)
            problems += [f"cycle {cycle}: {p}" for p in found]
        with sqlite3.connect(data / "quizbot.sqlite3") as db:
            stored = set(db.execute("SELECT user_key, question_no FROM answers"))
    for p in problems[:10]:
        print(f"  PROBLEM {p}")
    lost = len([a for a in acked if a not in stored])
    report.add(
        "acknowledged answers lost after the last restart",
        lost,
        "answers",
        "answers acknowledged",
        len(acked),
        "0",
        lost == 0,
    )
    report.add(
        "cycles with a lost answer, a failed integrity_check or a double count",
        len(problems),
        "cycles",
        "cycles run",
        CYCLES,
        "0",
        not problems,
    )
    report.add("mean cycle (start, answer, kill)", mean(seconds), "s")
