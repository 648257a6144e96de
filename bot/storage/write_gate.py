"""Who may write on the one shared SQLite connection at a time.

aiosqlite runs every call on one thread, in the order the calls were made. A single write statement is its own
transaction there (autocommit), so any number of them may be queued together: the thread runs them back to back
instead of waiting for the event loop between answers. A transaction of several statements (BEGIN … COMMIT) must
run alone, or another coroutine's statement queued in between would become part of it. Transactions go first once
they wait, so a stream of single writes cannot hold one off for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class WriteGate:
    """Single-statement writes side by side; a multi-statement transaction alone."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._singles = 0
        self._in_transaction = False
        self._transactions_waiting = 0

    @asynccontextmanager
    async def single(self) -> AsyncIterator[None]:
        """Hold the gate for one write statement (others like it may run at the same time)."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._in_transaction and not self._transactions_waiting)
            self._singles += 1
        try:
            yield
        finally:
            async with self._changed:
                self._singles -= 1
                if not self._singles:
                    self._changed.notify_all()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Hold the gate alone, for a transaction of several statements."""
        async with self._changed:
            self._transactions_waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._in_transaction and not self._singles)
            except BaseException:  # given up waiting: single writes held back for it may go again
                self._transactions_waiting -= 1
                self._changed.notify_all()
                raise
            self._transactions_waiting -= 1
            self._in_transaction = True
        try:
            yield
        finally:
            async with self._changed:
                self._in_transaction = False
                self._changed.notify_all()
