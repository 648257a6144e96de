"""Drive a real `quizbot console` subprocess, record which answers it acknowledged, kill -9 it, check the file.

Shared by tests/reliability/test_crash_safety.py (a few cycles) and bench/crash.py (100 cycles).
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MINI_BANK = Path(__file__).parents[1] / "data" / "mini"
_CHOOSE = re.compile(r"^Choose (\w+): type the letters")
_COUNT = {"two": 2, "three": 3, "four": 4}


@dataclass
class CycleResult:
    """What one life of the process acknowledged before it was killed."""

    acked: list[tuple[str, int]] = field(default_factory=list)  # (member key, question number)
    seconds: float = 0.0


class Console:
    """A `quizbot console` subprocess with line-by-line access to its standard output."""

    def __init__(self, data_dir: Path, bank: Path = MINI_BANK) -> None:
        env = {
            **os.environ,
            "QUIZBOT_DATA_DIR": str(data_dir),
            "QUIZBOT_BANK_DIR": str(bank),
            "QUIZBOT_LOG_LEVEL": "WARNING",
        }
        for name in (
            "QUIZBOT_DISCORD_TOKEN",
            "QUIZBOT_SLACK_BOT_TOKEN",
            "QUIZBOT_SLACK_APP_TOKEN",
            "QUIZBOT_SLACK_CLIENT_ID",
        ):
            env.pop(name, None)
        self._stderr = (data_dir / "console-stderr.txt").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adapters.main", "console", "--user", "driver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
            env=env,
            cwd=data_dir,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def send(self, line: str) -> None:
        """Write one line to the console's standard input."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def until(self, predicate: re.Pattern[str] | str, timeout: float = 20.0) -> str:
        """Read lines until one matches (a regex) or starts with (a string) `predicate`; return it."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if line is None:
                raise EOFError(f"the console ended: {Path(self._stderr.name).read_text()[-2000:]}")
            if isinstance(predicate, str) and line.startswith(predicate):
                return line
            if isinstance(predicate, re.Pattern) and predicate.search(line):
                return line

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._stderr.close()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


_PROMPT = re.compile(r"^(Type a letter to answer\.|Choose \w+: type the letters)")
_FEEDBACK = re.compile(r"^[✓✗] ")


def run_cycle(data_dir: Path, cycle: int, rng: random.Random, answers: int = 12, per_member: int = 3) -> CycleResult:
    """Start the console, answer quizzes as fresh members until `answers` were acknowledged, then kill -9 it."""
    result = CycleResult()
    started = time.monotonic()
    console = Console(data_dir)
    try:
        n = 0
        while len(result.acked) < answers:
            name = f"c{cycle}m{n}"
            n += 1
            console.send(f"as {name} quiz {per_member}")
            prompt = console.until(_PROMPT)
            for q in range(1, per_member + 1):
                choose = _CHOOSE.match(prompt)
                letters = ",".join("abcdef"[: _COUNT[choose.group(1)]]) if choose else rng.choice("abcd")
                console.send(f"as {name} {letters}")
                last = len(result.acked) + 1 >= answers
                if last:
                    # the final answer is killed mid-flight: sometimes before, sometimes during or after its commit
                    time.sleep(rng.random() * 0.004)
                    break
                console.until(_FEEDBACK)  # printed only after the service returned, so after the commit
                result.acked.append((f"console:{name}", q))
                if q < per_member:
                    prompt = console.until(_PROMPT)
            else:
                continue
            break
    finally:
        console.kill()
    result.seconds = time.monotonic() - started
    return result


def check_file(path: Path, acked: list[tuple[str, int]]) -> list[str]:
    """Problems found in the database after a crash: lost acknowledged answers, corruption, double counts."""
    problems = []
    db = sqlite3.connect(path)
    try:
        if (status := db.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            problems.append(f"integrity_check: {status}")
        stored = set(db.execute("SELECT user_key, question_no FROM answers"))
        lost = [a for a in acked if a not in stored]
        if lost:
            problems.append(f"acknowledged answers lost: {lost[:5]} ({len(lost)} in all)")
        recount = dict(
            ((u, t), (n, c))
            for u, t, n, c in db.execute(
                "SELECT a.user_key, substr(a.question_id, 1, instr(a.question_id, '-') - 1), COUNT(*), SUM(a.correct) "
                "FROM answers a GROUP BY 1, 2"
            )
        )
        stats = {
            (u, t): (n, c) for u, t, n, c in db.execute("SELECT user_key, task, answered, correct FROM task_stats")
        }
        if stats != recount:
            problems.append(f"task_stats differ from a recount of answers: {_diff(stats, recount)}")
        scores = dict(
            ((u,), (n, c))
            for u, n, c in db.execute(
                "SELECT user_key, answered, correct FROM scores WHERE period = 'all' AND scope LIKE 'ch:%'"
            )
        )
        counted = dict(
            ((u,), (n, c))
            for u, n, c in db.execute("SELECT user_key, COUNT(*), SUM(correct) FROM answers GROUP BY user_key")
        )
        if scores != counted:
            problems.append(f"scores differ from a recount of answers: {_diff(scores, counted)}")
    finally:
        db.close()
    return problems


def _diff(a: dict[object, object], b: dict[object, object]) -> str:
    keys = sorted(set(a) ^ set(b) | {k for k in set(a) & set(b) if a[k] != b[k]}, key=str)[:5]
    return ", ".join(f"{k}: {a.get(k)} != {b.get(k)}" for k in keys)
