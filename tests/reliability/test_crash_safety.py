"""kill -9 a real `quizbot console` mid-answers, again and again: no acknowledged answer is lost or counted twice."""

from __future__ import annotations

import random
from pathlib import Path

from tests.reliability.crash_driver import check_file, run_cycle

CYCLES = 5


def test_every_acknowledged_answer_survives_repeated_kill_9(tmp_path: Path) -> None:
    rng = random.Random(14)
    acked: list[tuple[str, int]] = []
    for cycle in range(CYCLES):
        result = run_cycle(tmp_path, cycle, rng, answers=rng.randint(4, 10))
        assert result.acked, "the console acknowledged nothing before the kill"
        acked += result.acked
        # the next start opens the killed file (WAL recovery); everything acknowledged so far must be there, once
        assert check_file(tmp_path / "quizbot.sqlite3", acked) == []
    assert len(acked) >= CYCLES * 3
