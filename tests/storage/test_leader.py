"""Two bot processes on one PostgreSQL: one leads the schedules; killed, the other takes over well within 30 s."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.leader import LeaderGate, lead_schedules
from bot.storage.postgres import PostgresRepository

WORKER = Path(__file__).with_name("leader_worker.py")
ROOT = Path(__file__).parents[2]


async def _spawn(url: str, name: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), url, name, stdout=asyncio.subprocess.PIPE, env=env
    )


async def _line(proc: asyncio.subprocess.Process, wait: float) -> str:
    assert proc.stdout is not None
    return (await asyncio.wait_for(proc.stdout.readline(), wait)).decode().strip()


async def test_only_one_process_leads_and_the_other_takes_over_after_a_kill(pg_url: str) -> None:
    first = await _spawn(pg_url, "A")
    second = None
    try:
        assert await _line(first, 20) == "READY A"
        assert await _line(first, 20) == "LEADER A"
        assert await _line(first, 20) == "POSTED A"
        second = await _spawn(pg_url, "B")
        assert await _line(second, 20) == "READY B"
        try:  # B polls every 0.1 s but must not lead while A lives
            early = await _line(second, 0.5)
        except TimeoutError:
            early = ""
        assert early == ""

        first.send_signal(signal.SIGKILL)
        await first.wait()
        started = time.monotonic()
        assert await _line(second, 30) == "LEADER B"
        assert time.monotonic() - started < 30
        assert await _line(second, 20) == "POSTED B"
    finally:
        for proc in (first, second):
            if proc is not None and proc.returncode is None:
                proc.kill()
                await proc.wait()

    repo = await PostgresRepository.open(pg_url)
    try:  # both leaders "posted" the same three slots: three rounds, not six
        rows = await repo._db.execute_fetchall("SELECT slot FROM rounds ORDER BY slot")
        assert [r[0] for r in rows] == ["tick:0", "tick:1", "tick:2"]
    finally:
        await repo.close()


class Recorder:
    def __init__(self) -> None:
        self.jobs: set[str] = set()

    def at(self, when: datetime, job_id: str, call: object) -> None:
        self.jobs.add(job_id)

    def cancel(self, job_id: str) -> None:
        self.jobs.discard(job_id)


async def test_the_gate_passes_schedule_jobs_only_while_leading() -> None:
    inner = Recorder()
    gate = LeaderGate(inner)
    now = datetime(2026, 11, 23, tzinfo=UTC)

    async def noop() -> None:
        return None

    gate.at(now, "sched:1", noop)
    gate.at(now, "close:7", noop)  # round closes run in every process
    assert inner.jobs == {"close:7"}

    held = [True, True, False]
    stop = asyncio.Event()
    armed: list[int] = []

    async def try_lead() -> bool:
        if len(held) == 1:
            stop.set()
        return held.pop(0)

    async def arm() -> None:
        armed.append(1)
        gate.at(now, "sched:1", noop)

    await lead_schedules(try_lead, gate, arm, stop, interval=0.001, resync=0.001)
    assert armed == [1, 1]  # gained, then a resync while still holding
    assert not gate.leading and inner.jobs == {"close:7"}  # lost: schedule jobs dropped
