"""Group commit for SQLite answers: concurrent `record_answer` calls share one transaction a few milliseconds wide.

A commit costs far more than an insert, so under a burst (a busy question of the day) the answers that arrive
within `window` seconds, plus those that arrived while the previous batch was committing, go in together: one
multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` tells which rows are new, their aggregates are added in the
same transaction (one statement per table for the batch), and only after the commit is any caller told the outcome.
A batch with no aggregates to add is that one statement, its own transaction: one round trip to SQLite's thread.
A duplicate (in the table or earlier in the same batch) and an answer to a closed round are reported as False,
exactly as on the one-transaction-per-answer path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.models import Tally

log = logging.getLogger(__name__)

DEFAULT_WINDOW = 0.002  # seconds a batch stays open for more answers
MAX_BATCH = 500  # 9 bound values a row keeps a batch far below SQLite's 32,766-variable limit
_COLUMNS = "round_id, question_no, user_key, question_id, choice, correct, points, answered_at, elapsed_ms"
# The rows arrive as VALUES in the order of `answer_row` (round id last) plus their place in the batch; the join keeps
# only rows whose round is still open, and ORDER BY makes the first of two same-key answers the one inserted.
_INSERT_IF_OPEN = (
    f"INSERT INTO answers ({_COLUMNS}) SELECT r.id, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, "
    "v.column7, v.column8 FROM (VALUES {rows}) AS v JOIN rounds AS r ON r.id = v.column9 "
    "WHERE r.closed_at IS NULL ORDER BY v.column10 ON CONFLICT DO NOTHING RETURNING round_id, question_no, user_key"
)

Transaction = Callable[[], AbstractAsyncContextManager[aiosqlite.Connection]]
AddAggregates = Callable[[aiosqlite.Connection, Sequence[Tally]], Awaitable[None]]
RecordOne = Callable[[Tally, bool], Awaitable[bool]]
AnswerRow = Callable[[Tally], tuple[Any, ...]]


@dataclass
class _Pending:
    tally: Tally
    count_now: bool
    done: asyncio.Future[bool] = field(repr=False)
    queued_at: float  # loop time it joined the queue

    @property
    def key(self) -> tuple[int, int, str]:
        a = self.tally.answer
        return (a.round_id, a.question_no, a.user_key)


class GroupCommit:
    """A queue that records answers in batches; each `submit` resolves only after its batch has committed."""

    def __init__(
        self,
        transaction: Transaction,
        single_write: Transaction,
        add_aggregates: AddAggregates,
        record_one: RecordOne,
        answer_row: AnswerRow,
        window: float = DEFAULT_WINDOW,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._transaction = transaction
        self._single_write = single_write
        self._add_aggregates = add_aggregates
        self._record_one = record_one
        self._answer_row = answer_row
        self._window = window
        self._max_batch = max_batch
        self._pending: list[_Pending] = []
        self._full = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0  # committed batches, for benchmarks and tests

    async def submit(self, tally: Tally, count_now: bool = True) -> bool:
        """Queue one answer; True once it is committed as new, False when it was already recorded."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._pending.append(_Pending(tally, count_now, done, loop.time()))
        if len(self._pending) >= self._max_batch:
            self._full.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop(), name="sqlite-group-commit")
        # Each caller has a future of its own: a cancelled caller cancels only that one (settling skips it).
        return await done

    async def close(self) -> None:
        """Commit whatever is queued (callers are answered) before the connection closes."""
        self._full.set()
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def _flush_loop(self) -> None:
        batch: list[_Pending] = []
        try:
            loop = asyncio.get_running_loop()
            while self._pending:
                # The window counts from the oldest answer's arrival: answers that queued while the previous batch
                # was committing have waited long enough and go at once.
                wait = self._window - (loop.time() - self._pending[0].queued_at)
                if wait > 0 and len(self._pending) < self._max_batch:
                    self._full.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), wait)
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                await self._commit(batch)
        except BaseException:
            # Stopped mid-way (the event loop is closing): nobody may wait forever, and nobody is told "recorded"
            # unless the commit returned, so an unsettled batch fails (its transaction rolled back or never began).
            for item in [*batch, *self._pending]:
                _settle(item.done, RuntimeError("the answer was not recorded; please try again"))
            self._pending = []
            raise

    async def _commit(self, batch: Sequence[_Pending]) -> None:
        try:
            outcomes = await self._write(batch)
        except Exception:
            # One bad row (a round deleted under it, say) must not fail its neighbours: retry each on its own.
            log.warning("a group commit of %d answers failed; recording them one by one", len(batch), exc_info=True)
            for item in batch:
                try:
                    result = await self._record_one(item.tally, item.count_now)
                except Exception as exc:
                    _settle(item.done, exc)
                else:
                    _settle(item.done, result)
            return
        self.batches += 1
        for item, inserted in zip(batch, outcomes, strict=True):
            _settle(item.done, inserted)

    async def _write(self, batch: Sequence[_Pending]) -> list[bool]:
        rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(batch))
        params = [value for n, item in enumerate(batch) for value in (*self._answer_row(item.tally), n)]
        sql = _INSERT_IF_OPEN.format(rows=rows)
        counted = any(item.count_now for item in batch)
        async with self._transaction() if counted else self._single_write() as db:
            new = {(r[0], r[1], r[2]) for r in await db.execute_fetchall(sql, params)}
            outcomes = []
            for item in batch:
                # The first of several same-key answers in a batch is the one SQLite inserted; later ones conflicted.
                outcomes.append(item.key in new)
                new.discard(item.key)
            await self._add_aggregates(
                db, [item.tally for item, inserted in zip(batch, outcomes, strict=True) if inserted and item.count_now]
            )
        return outcomes


def _settle(done: asyncio.Future[bool], outcome: bool | BaseException) -> None:
    if done.done():  # pragma: no cover - a future is settled exactly once; guard against a caller's loop closing
        return
    if isinstance(outcome, BaseException):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)
