"""What the composition root needs from a front door: a ChatPort and a coroutine that serves until stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from bot.ports import ChatPort


class FrontDoor(Protocol):
    """A front door (console, Discord, Slack) as the composition root starts it."""

    port: ChatPort

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set (or, for the console, until input ends), then shut down cleanly."""


async def serve_until_stopped(doors: Sequence[FrontDoor], stop: asyncio.Event) -> None:
    """Run every front door; when one ends (or `stop` is set) the others are told to stop."""
    tasks = [asyncio.create_task(door.serve(stop)) for door in doors]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()  # re-raise what ended a front door, if anything
    finally:
        for task in tasks:
            task.cancel()
