"""WAL checkpoints for SQLite on a connection (and so a thread) of their own.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the writer's connection: that
commit, and every answer queued behind it on aiosqlite's single thread, waits while pages are copied and the file
is synced (measured: the p99 of group-committed answers doubles). So the writer's automatic checkpoint is turned
off and this task runs a PASSIVE checkpoint twice a second instead, which never waits for readers or writers.
The last connection to close still checkpoints and removes the WAL, as SQLite always does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

EVERY = 0.5  # seconds between checkpoints: the WAL holds about half a second of writes
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes the WAL file is cut back to once a checkpoint has emptied it


class Checkpointer:
    """A background task copying the WAL into the database file; open with `await Checkpointer.start(path)`."""

    def __init__(self, db: aiosqlite.Connection, every: float) -> None:
        self._db = db
        self._task = asyncio.create_task(self._run(every), name="sqlite-checkpoint")

    @classmethod
    async def start(cls, path: Path, busy_timeout_ms: int, every: float = EVERY) -> Checkpointer:
        """Open the checkpoint connection and start checkpointing."""
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        except BaseException:
            await db.close()
            raise
        return cls(db, every)

    async def _run(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:  # a busy or full disk now is retried at the next tick
                log.warning("WAL checkpoint failed: %s", exc)

    async def close(self) -> None:
        """Stop checkpointing and close the connection (the writer closes first, so this one checkpoints last)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._db.close()
