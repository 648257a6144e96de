"""Listeners whose HTTP response leaves the moment they ack, while the rest of their work goes on.

Bolt's default runner starts a listener apart and then polls every 10 ms until it has acked; in a burst of 500
clicks, 500 such pollers alone keep the event loop busy, and Slack's 3-second limit comes close. Here the app runs
with `process_before_response=True` (the listener is awaited, no polling) and each listener is registered through
`AckFirst`, which starts the real handler as a task and returns as soon as it calls `ack()`. The tasks are kept, so
a shutdown can wait for them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]


class _Signalling(AsyncAck):
    """The request's ack, which also tells the listener that Slack can be answered now."""

    def __init__(self, ack: AsyncAck, acked: asyncio.Event) -> None:
        super().__init__()
        self._ack, self._acked = ack, acked

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return await self._ack(*args, **kwargs)
        finally:
            self._acked.set()


class AckFirst:
    """Registers listeners on a Bolt app built with `process_before_response=True`."""

    def __init__(self, app: AsyncApp) -> None:
        self.app = app
        self._running: set[asyncio.Task[None]] = set()

    def action(self, constraints: Any) -> Callable[[Handler], Handler]:
        """Like `AsyncApp.action`."""
        return self._on(self.app.action(constraints))

    def command(self, command: Any) -> Callable[[Handler], Handler]:
        """Like `AsyncApp.command`."""
        return self._on(self.app.command(command))

    def view(self, constraints: Any) -> Callable[[Handler], Handler]:
        """Like `AsyncApp.view`."""
        return self._on(self.app.view(constraints))

    def event(self, event: Any) -> Callable[[Handler], Handler]:
        """Like `AsyncApp.event` (Bolt acks events itself, so their handler runs on at once)."""
        return self._on(self.app.event(event))

    async def drain(self, grace: float) -> None:
        """Give the handlers still running after their ack up to `grace` seconds to finish."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)

    def _on(self, register: Callable[[Handler], Any]) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            register(self._detached(handler))
            return handler

        return decorate

    def _detached(self, handler: Handler) -> Handler:
        # functools.wraps keeps the handler's parameter names visible: Bolt passes only the arguments a listener names.
        @functools.wraps(handler)
        async def listener(**kwargs: Any) -> None:
            acked = asyncio.Event()
            if "ack" in kwargs:
                kwargs["ack"] = _Signalling(kwargs["ack"], acked)
            else:
                acked.set()
            work = asyncio.create_task(handler(**kwargs))
            self._running.add(work)
            work.add_done_callback(self._finished)
            signal = asyncio.create_task(acked.wait())
            await asyncio.wait({work, signal}, return_when=asyncio.FIRST_COMPLETED)
            signal.cancel()
            if work.done() and not acked.is_set():
                work.result()  # failed before its ack: Bolt's error handler answers Slack

        return listener

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a Slack listener failed", exc_info=task.exception())
