"""The Scheduler port on APScheduler 3's AsyncIOScheduler; jobs live in memory and are re-armed from the database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.ports import JobCall

log = logging.getLogger(__name__)


class ApScheduler:
    """Runs one-off jobs at a time; a failing job is logged once and never stops the scheduler."""

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        """Start running jobs on the current event loop."""
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop without waiting for running jobs; their state is in the database."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def at(self, when: datetime, job_id: str, call: JobCall) -> None:
        """Run `call` at `when`; a time already past runs at once (misfires are never dropped)."""
        self._scheduler.add_job(
            _run,
            DateTrigger(run_date=when, timezone=UTC),
            args=(job_id, call),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def cancel(self, job_id: str) -> None:
        """Forget a job if it exists."""
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    def job_ids(self) -> list[str]:
        """Ids of the jobs waiting to run."""
        return [job.id for job in self._scheduler.get_jobs()]


async def _run(job_id: str, call: JobCall) -> None:
    try:
        await call()
    except Exception:
        log.exception("scheduled job %s failed", job_id)
