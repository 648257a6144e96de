"""The Slack front door as the composition root starts it: HTTP endpoint and/or Socket Mode until stopped."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from adapters.slack.app import EVENTS_PATH, INSTALL_PATH, SlackApp, SlackConfig
from adapters.slack.chat import SlackChat
from bot.service import QuizService
from bot.settings import Settings

log = logging.getLogger(__name__)

DRAIN_GRACE = 5.0  # seconds a stopping door waits for listeners that acked and are still at work


class SlackDoor:
    """Serves the Slack app: the bot's own aiohttp server (events, OAuth pages); Socket Mode with an app token."""

    def __init__(self, settings: Settings, service: QuizService, config: SlackConfig | None = None) -> None:
        self.config = config or SlackConfig.from_settings(settings)
        self.slack = SlackApp(self.config, service)
        self.port: SlackChat = self.slack.chat
        self.http_port: int | None = None  # the bound port once serving (settings may ask for port 0)
        self.ready = asyncio.Event()

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set, then flush pending card edits and close every connection."""
        runner: web.AppRunner | None = None
        socket_mode: AsyncSocketModeHandler | None = None
        try:
            await self.slack.open_session()
            if self.config.serves_http:
                # No access log: OAuth redirects carry the one-time code and state in the query string.
                runner = web.AppRunner(self.slack.web_app(), access_log=None, handle_signals=False)
                await runner.setup()
                await web.TCPSite(runner, self.config.host, self.config.port).start()
                self.http_port = runner.addresses[0][1]
                log.info("Slack endpoint listening on %s:%s%s", self.config.host, self.http_port, EVENTS_PATH)
                if self.config.oauth:
                    log.info("Slack install page: %s (behind your public URL)", INSTALL_PATH)
            if self.config.socket_mode:
                socket_mode = AsyncSocketModeHandler(self.slack.app, app_token=self.config.app_token)
                await socket_mode.connect_async()
                log.info("Slack Socket Mode connected")
            self.ready.set()
            await stop.wait()
        finally:
            if socket_mode is not None:
                await socket_mode.close_async()
            await self.slack.acks.drain(DRAIN_GRACE)  # work still running after its ack finishes first
            await self.port.close()
            if runner is not None:
                await runner.cleanup()
            await self.slack.close_session()
