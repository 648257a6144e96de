"""Answer-count edits of posted cards, shared by the chat front doors: bursts become one edit per card per interval,
and a card that has been revealed is never edited back into a question."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from bot.cards import QuestionCard
from bot.models import Target


class CardEdits:
    """Coalesced count edits; a subclass supplies `_edit_count`, the platform's edit of one card."""

    def __init__(self, edit_interval: float) -> None:
        self.edit_interval = edit_interval
        self._latest: dict[str, tuple[Target, QuestionCard]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._revealed: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def _queue_count_edit(self, target: Target, ref: str, card: QuestionCard, start_timer: bool = True) -> None:
        """Remember the newest card for `ref`; the first change in an interval starts its timer."""
        if ref in self._revealed:
            return
        self._latest[ref] = (target, card)
        if start_timer and ref not in self._timers:
            self._timers[ref] = self._spawn(self._edit_later(ref))

    async def _edit_count(self, target: Target, ref: str, card: QuestionCard) -> None:
        """Edit one posted card to show `card` (the platform's call)."""
        raise NotImplementedError

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _lock(self, ref: str) -> asyncio.Lock:
        return self._locks.setdefault(ref, asyncio.Lock())

    async def _edit_later(self, ref: str) -> None:
        await asyncio.sleep(self.edit_interval)
        self._timers.pop(ref, None)
        await self._edit_now(ref)

    async def _edit_now(self, ref: str) -> None:
        async with self._lock(ref):
            latest = self._latest.pop(ref, None)
            if latest is None or ref in self._revealed:
                return
            target, card = latest
            await self._edit_count(target, ref, card)
