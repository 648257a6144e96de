"""Schedule leadership for several processes: only the holder of a database lock runs the scheduled posts.

The lock (a PostgreSQL session advisory lock) dies with its process's connection, so another process polling every
`interval` seconds takes over well within 30 s. Posting stays exactly-once through the slot claims (bot.posting)
even if two processes believe they lead for a moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.metrics import METRICS
from bot.ports import JobCall, Scheduler

log = logging.getLogger(__name__)
SCHEDULE_PREFIX = "sched:"  # the job ids bot.posting arms
POLL_SECONDS = 5.0
RESYNC_SECONDS = 15.0  # the leader re-reads schedules, so ones created through another process get armed


class LeaderGate:
    """A Scheduler that passes schedule jobs through only while this process leads; other jobs always pass."""

    def __init__(self, inner: Scheduler) -> None:
        self._inner = inner
        self.leading = False
        self._armed: set[str] = set()

    def at(self, when: datetime, job_id: str, call: JobCall) -> None:
        """Arm a job (a schedule job only while leading)."""
        if job_id.startswith(SCHEDULE_PREFIX):
            if not self.leading:
                return
            self._armed.add(job_id)
        self._inner.at(when, job_id, call)

    def cancel(self, job_id: str) -> None:
        """Forget a job."""
        self._armed.discard(job_id)
        self._inner.cancel(job_id)

    def drop_schedules(self) -> None:
        """Cancel every schedule job (leadership lost)."""
        for job_id in list(self._armed):
            self.cancel(job_id)


async def lead_schedules(
    try_lead: Callable[[], Awaitable[bool]],
    gate: LeaderGate,
    arm_schedules: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    interval: float = POLL_SECONDS,
    resync: float = RESYNC_SECONDS,
) -> None:
    """Poll for the lock until `stop`; on gaining it arm the schedules, on losing it drop them."""
    since_sync = 0.0
    while not stop.is_set():
        held = await try_lead()
        if held and not gate.leading:
            gate.leading = True
            METRICS.leader_changes.inc()
            log.info("this process now runs the schedules")
            await arm_schedules()
            since_sync = 0.0
        elif held and since_sync >= resync:
            await arm_schedules()
            since_sync = 0.0
        elif not held and gate.leading:
            gate.leading = False
            gate.drop_schedules()
            log.warning("schedule leadership lost; another process takes over")
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            since_sync += interval


async def finish(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    """Stop the leadership loop and wait for it (it gives the lock up when the repository closes)."""
    stop.set()
    try:
        await asyncio.wait_for(task, POLL_SECONDS * 2)
    except TimeoutError:  # pragma: no cover - a stuck database call; closing the pool ends it
        log.warning("the schedule leadership loop did not stop in time")
