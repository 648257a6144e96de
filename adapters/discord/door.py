"""Discord as a front door: connect with the token from the settings, serve until told to stop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from adapters.discord.chat import DiscordChat
from adapters.discord.client import QuizClient
from adapters.discord.sharding import ShardedQuizClient, sharding
from bot.service import QuizService
from bot.settings import Settings

log = logging.getLogger(__name__)

SYNC_STATE_FILE = "discord-commands.json"


class DiscordDoor:
    """The Discord front door: `port` for the core, `serve(stop)` for the composition root."""

    def __init__(self, settings: Settings, service: QuizService, **client_options: Any) -> None:
        if settings.discord_token is None:
            raise ValueError("QUIZBOT_DISCORD_TOKEN is not set")
        self._token = settings.discord_token
        shard_options = sharding(settings)  # AutoShardedClient when QUIZBOT_DISCORD_SHARDS is set
        client_class = ShardedQuizClient if shard_options else QuizClient
        self.client = client_class(
            service,
            sync_state=settings.data_dir / SYNC_STATE_FILE,
            guild_ids=settings.discord_guild_ids,
            admin_ids=settings.admin_ids,
            **shard_options,
            **client_options,
        )
        self.port: DiscordChat = self.client.chat

    async def serve(self, stop: asyncio.Event) -> None:
        """Log in, connect and serve; when `stop` is set, drain and close the gateway. Login errors propagate."""
        client = self.client
        async with client:
            running = asyncio.create_task(client.start(self._token.get_secret_value()), name="discord")
            stopping = asyncio.create_task(stop.wait(), name="discord-stop")
            try:
                await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                asked_to_stop = not running.done()
                if asked_to_stop:
                    log.info("stopping: no new interactions, closing the Discord gateway")
                    await client.shutdown()
                else:
                    await client.chat.abort()
        try:
            await running
        except discord.LoginFailure:
            log.error("Discord refused QUIZBOT_DISCORD_TOKEN; copy the bot token from the Developer Portal again")
            raise
        except Exception:
            if not asked_to_stop:
                raise
            # Stopped while still logging in or connecting: closing cut the attempt short, which is what we asked.
            log.info("the Discord client stopped before it was fully connected", exc_info=True)
