"""`kill -9` of a real `quizbot run` (console front door) while schedules are due; restarted; exactly-once posts.

Each run is the real entry point (`adapters.main.main(["run", …])`) in its own process, started at a chosen moment
with time-machine (`tick=True`: time flows normally from there), so the test needs no real waiting for a due time.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest

from bot.models import RoundKind, Target
from bot.schedules import ScheduleSpec, slot_key
from bot.storage.sqlite import SqliteRepository
from tests.conftest import MINI_BANK

ROOT = Path(__file__).resolve().parents[3]
DAY = datetime(2026, 11, 23, tzinfo=UTC)
STUDY = Target(platform="console", workspace="console", channel="study")
RUNNER = (
    "import sys, datetime, time_machine\n"
    "from adapters.main import main\n"
    "with time_machine.travel(datetime.datetime.fromisoformat(sys.argv[1]), tick=True):\n"
    "    sys.exit(main(['run', '--user', 'ada', '--channel', 'study']))\n"
)


class Run:
    """One `quizbot run` process with its output collected line by line."""

    def __init__(self, data_dir: Path, at: datetime) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZBOT_", "SLACK_"))}
        env |= {"QUIZBOT_DATA_DIR": str(data_dir), "QUIZBOT_BANK_DIR": str(MINI_BANK), "QUIZBOT_LOG_LEVEL": "INFO"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUNNER, at.isoformat()],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,  # kept open: end of input would end the console
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=_pump, args=(stream, sink), daemon=True).start()

    def wait_for(self, what: str, check: Callable[[], bool], within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while not check():
            if self.proc.poll() is not None:
                raise AssertionError(f"quizbot exited ({self.proc.returncode}) before {what}:\n{''.join(self.err)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {within} s:\n{''.join(self.err)}")
            time.sleep(0.01)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        assert self.proc.returncode == -signal.SIGKILL
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def printed(self, text: str) -> int:
        return "".join(self.out).count(text)

    def logged(self, text: str) -> bool:
        return text in "".join(self.err)


def _pump(stream: object, sink: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)


def slot_state(db: Path, schedule_id: int, due: datetime) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT state FROM schedule_slots WHERE schedule_id = ? AND due_at = ?",
            (schedule_id, due.isoformat(timespec="microseconds")),
        ).fetchone()
    conn.close()
    return row[0] if row else None


async def prepare(db: Path) -> None:
    """Three schedules created the evening before: a QOTD at 09:00, a two-question drill at 10:00, a drill at 09:10."""
    repo = await SqliteRepository.open(db)
    try:
        for kind, at, count in (
            (RoundKind.QOTD, clock_time(9, 0), 1),
            (RoundKind.DRILL, clock_time(10, 0), 2),
            (RoundKind.DRILL, clock_time(9, 10), 1),
        ):
            spec = ScheduleSpec(kind=kind, timezone="UTC", at=at, count=count, reveal_after_minutes=600)
            await repo.create_schedule(STUDY, spec, "console:ada", DAY - timedelta(hours=1))
    finally:
        await repo.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_9_while_due_then_restart_posts_each_slot_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "quizbot.sqlite3"
    asyncio.run(prepare(db))
    qotd, drill, missed = DAY.replace(hour=9), DAY.replace(hour=10), DAY.replace(hour=9, minute=10)
    runs: list[Run] = []
    try:
        # Run 1 starts a second before 09:00 and is killed the moment the question of the day is on screen.
        first = Run(tmp_path, qotd - timedelta(seconds=1))
        runs.append(first)
        first.wait_for("the 09:00 post", lambda: first.printed(f"scheduled post {slot_key(1, qotd)}") > 0)
        first.kill9()

        # Run 2 (09:03): the killed run's claim has expired; the card it printed is not printed again.
        second = Run(tmp_path, qotd + timedelta(minutes=3))
        runs.append(second)
        second.wait_for("start-up", lambda: second.logged("schedule(s) armed"))
        second.wait_for("the 09:00 slot to settle", lambda: slot_state(db, 1, qotd) == "posted")
        second.kill9()

        # Down until 10:20: the 10:00 drill is within the grace (posted once), the 09:10 drill is not (skipped).
        third = Run(tmp_path, drill + timedelta(minutes=20))
        runs.append(third)
        third.wait_for("the drill", lambda: slot_state(db, 2, drill) == "posted")
        third.wait_for("the skip log line", lambda: third.logged("schedule 3: skipped 1 slot(s)"))
        third.kill9()
    finally:
        for run in runs:
            if run.proc.poll() is None:
                run.kill9()

    def everywhere(text: str) -> int:
        return sum(run.printed(text) for run in runs)

    assert everywhere(f"scheduled post {slot_key(1, qotd)}") == 1
    assert everywhere(f"scheduled post {slot_key(2, drill)}:1") == 1
    assert everywhere(f"scheduled post {slot_key(2, drill)}:2") == 1
    assert everywhere(f"scheduled post {slot_key(3, missed)}") == 0
    assert re.search(r"Question of the day in #study", "".join(runs[0].out))
    with sqlite3.connect(db) as conn:
        rounds = conn.execute("SELECT kind, slot FROM rounds ORDER BY id").fetchall()
    conn.close()
    assert [kind for kind, _ in rounds] == ["qotd", "drill"]  # one round per posted slot, nothing for the skip


def test_console_schedule_commands_and_answering_a_drill(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIZBOT_", "SLACK_"))}
    env |= {"QUIZBOT_DATA_DIR": str(tmp_path), "QUIZBOT_BANK_DIR": str(MINI_BANK), "QUIZBOT_LOG_LEVEL": "WARNING"}
    script = (
        "schedule add qotd at:09:00 tz:Europe/Berlin days:mon-fri reveal:18:00\n"
        "schedule add drill at:19:00 days:mon,wed,fri count:5 domain:1\n"
        "schedule list\nschedule next 2\nschedule pause 1\nschedule edit 2 count:2\n"
        "as bo schedule delete 2\nschedule delete 1\nschedule delete 2\nschedule list\nanswer\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "adapters.main", "console", "--user", "ada", "--channel", "study"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert (
        "Schedule 1 is set.\n  #1 Question of the day · 09:00 mon-fri Europe/Berlin · 1 question · revealed at 18:00"
        in out
    )
    assert "#2 Drill · 19:00 mon,wed,fri UTC · 5 questions · domain 1" in out
    assert out.count(" 19:00 UTC") >= 5  # `schedule next 2`: five run times
    assert "Schedule 1 is paused.\n  #1 Question of the day" in out and "paused (paused by an admin)" in out
    assert "#2 Drill · 19:00 mon,wed,fri UTC · 2 questions" in out
    assert "Sorry, only an admin can change schedules." in out
    assert "No schedules in this channel yet" in out
    assert "There is no open drill or question of the day here that you have not answered." in out
