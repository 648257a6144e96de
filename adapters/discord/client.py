"""The discord.py client: no privileged intents, persistent controls, commands synced only when they changed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import discord

from adapters.discord.chat import EDIT_INTERVAL, DiscordChat
from adapters.discord.commands import QuizTree, SyncState, install, sync_if_changed
from adapters.discord.components import DYNAMIC_ITEMS
from adapters.discord.exam import ExamHandlers, ExamItem, install_exam
from adapters.discord.handlers import Handlers
from adapters.discord.play import PlayHandlers, PlayItem, install_play
from adapters.discord.report_button import ReportControl
from bot.service import QuizService

log = logging.getLogger(__name__)

# Exactly what quizbot does in a channel: see it, post the reveal when no card was posted, and use embeds.
# Interaction replies and edits of its own messages need nothing more.
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
SCOPES = ("bot", "applications.commands")


def intents() -> discord.Intents:
    """Guilds only: slash commands and components arrive without any privileged (or message) intent."""
    return discord.Intents(guilds=True)


def invite_url(application_id: int) -> str:
    """The link that adds the bot to a server with exactly the permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=PERMISSIONS, scopes=SCOPES)


class QuizClient(discord.Client):
    """quizbot on Discord: a command tree and persistent answer controls over one QuizService."""

    def __init__(
        self,
        service: QuizService,
        *,
        sync_state: Path,
        guild_ids: Sequence[int] = (),
        admin_ids: Collection[str] = (),
        edit_interval: float = EDIT_INTERVAL,
        **options: Any,
    ) -> None:
        super().__init__(intents=intents(), **options)
        self._ready_grace = float(options.get("guild_ready_timeout", 2.0)) + 1.0
        self.handlers = Handlers(service, admin_ids)
        self.chat = DiscordChat(self, edit_interval)
        self.tree = QuizTree(self, self.handlers)
        self.guild_ids = list(guild_ids)
        self.sync_state = SyncState(sync_state)
        install(self.tree, self.handlers, service.bank)
        self.exam_handlers = ExamHandlers(self.handlers)
        install_exam(self.tree, self.exam_handlers)
        self.play_handlers = PlayHandlers(self.handlers)
        install_play(self.tree, self.play_handlers, [(d.id, d.name) for d in service.bank.exam.domains])

    async def setup_hook(self) -> None:
        """After login: register the persistent controls, sync changed commands, log the invite link."""
        self.add_dynamic_items(*DYNAMIC_ITEMS, ExamItem, ReportControl, PlayItem)
        application_id = self.application_id
        if application_id is None:  # pragma: no cover - login always fetches the application
            raise RuntimeError("Discord did not tell the application id")
        self.chat.start()
        synced = await sync_if_changed(self.tree, application_id, self.guild_ids, self.sync_state)
        log.info("slash commands synced: %s", ", ".join(synced) if synced else "unchanged, nothing sent")
        log.info("invite quizbot to a server: %s", invite_url(application_id))

    async def on_ready(self) -> None:
        """Log who we are once the gateway is up."""
        log.info("connected to Discord as %s in %d server(s)", self.user, len(self.guilds))

    async def shutdown(self, drain_timeout: float = 5.0) -> None:
        """Stop taking interactions, let those in flight finish, send pending card edits, close the gateway."""
        await self.handlers.drain(drain_timeout)
        await self.chat.close(drain_timeout)
        if self.ws is not None and not self.is_ready():
            # Connected but still collecting guilds: close() would leave discord.py's ready timer running.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wait_until_ready(), self._ready_grace)
        await self.close()
