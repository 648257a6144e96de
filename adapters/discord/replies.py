"""Answering one interaction: who and where it comes from, and replies that always beat Discord's 3-second limit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Collection
from typing import TypeVar

import discord

from adapters.discord.ack_metrics import observe_ack
from adapters.discord.render import Message
from bot.models import Target, UserRef

PLATFORM = "discord"
DM_WORKSPACE = "@me"
# Discord drops an interaction not acknowledged within 3 s; a call still running after this long is deferred first.
ACK_BUDGET = 2.0

log = logging.getLogger(__name__)
T = TypeVar("T")


def user_ref(user: discord.abc.User, is_admin: bool = False) -> UserRef:
    """A Discord member as the core knows them."""
    return UserRef(platform=PLATFORM, user_id=str(user.id), name=user.display_name, is_admin=is_admin)


def invoker(interaction: discord.Interaction, admin_ids: Collection[str] = ()) -> UserRef:
    """The member behind an interaction; admin when they hold Manage Server here or are listed in QUIZBOT_ADMIN_IDS."""
    user = interaction.user
    listed = str(user.id) in admin_ids or f"{PLATFORM}:{user.id}" in admin_ids
    permissions = interaction.permissions
    manages = interaction.guild_id is not None and (permissions.manage_guild or permissions.administrator)
    return user_ref(user, is_admin=listed or manages)


def target(interaction: discord.Interaction) -> Target:
    """The channel (or DM) an interaction comes from."""
    workspace = str(interaction.guild_id) if interaction.guild_id is not None else DM_WORKSPACE
    return Target(platform=PLATFORM, workspace=workspace, channel=str(interaction.channel_id))


def message_ref(channel_id: int | str, message_id: int) -> str:
    """How a posted card is remembered in the database."""
    return f"{channel_id}:{message_id}"


def parse_ref(ref: str) -> tuple[int, int] | None:
    """(channel id, message id) of a stored card reference, or None when it is not one of ours."""
    channel, _, message = ref.partition(":")
    if not (channel.isdigit() and message.isdigit()):
        return None
    return int(channel), int(message)


class Reply:
    """The response to one interaction: a new message (`update=False`) or an edit of the clicked message."""

    def __init__(
        self, interaction: discord.Interaction, *, ephemeral: bool, update: bool = False, budget: float = ACK_BUDGET
    ) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral
        self.update = update
        self.budget = budget
        self._deferred_public = False

    async def call(self, work: Awaitable[T]) -> T:
        """Await a service call; when it outlasts the budget, acknowledge (defer) first and keep waiting."""
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.budget)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            await self.defer()
        return await task

    async def defer(self) -> None:
        """Acknowledge now and answer later (a "thinking" placeholder, or a deferred edit of the clicked message)."""
        if self.interaction.response.is_done():
            return
        observe_ack(self.interaction)
        if self.update:
            await self.interaction.response.defer()
        else:
            await self.interaction.response.defer(ephemeral=self.ephemeral, thinking=True)
            self._deferred_public = not self.ephemeral

    async def send(self, message: Message, *, ephemeral: bool | None = None) -> int | None:
        """Reply with a new message (or fill in the deferred one); returns its id when Discord tells it."""
        private = self.ephemeral if ephemeral is None else ephemeral
        response = self.interaction.response
        try:
            if not response.is_done():
                observe_ack(self.interaction)
                sent = await response.send_message(
                    content=message.content,
                    embeds=message.embeds,
                    view=_or_missing(message.view),
                    files=message.files or discord.utils.MISSING,
                    ephemeral=private,
                )
                return sent.message_id
            if self.update or (private and self._deferred_public):
                # A deferred click, or a public "thinking" placeholder that must not show a private reply.
                if self._deferred_public:
                    await self.interaction.delete_original_response()
                    self._deferred_public = False
                followed = await self.interaction.followup.send(
                    content=message.content or discord.utils.MISSING,
                    embeds=message.embeds,
                    view=_or_missing(message.view),
                    files=message.files or discord.utils.MISSING,
                    ephemeral=private,
                    wait=True,
                )
                return followed.id
            edited = await self.interaction.edit_original_response(
                content=message.content,
                embeds=message.embeds,
                view=message.view,
                attachments=message.files or discord.utils.MISSING,
            )
            return edited.id
        finally:
            _release(message)

    async def replace(self, message: Message) -> None:
        """Replace the message the clicked control sits on."""
        try:
            if not self.interaction.response.is_done():
                await self.interaction.response.edit_message(
                    content=message.content, embeds=message.embeds, view=message.view
                )
            else:
                await self.interaction.edit_original_response(
                    content=message.content, embeds=message.embeds, view=message.view
                )
        finally:
            _release(message)

    async def follow(self, message: Message) -> None:
        """A further private message after the response (the next quiz question, a summary)."""
        try:
            await self.interaction.followup.send(
                content=message.content or discord.utils.MISSING,
                embeds=message.embeds,
                view=_or_missing(message.view),
                ephemeral=True,
            )
        finally:
            _release(message)

    async def refuse(self, sentence: str) -> None:
        """One polite private sentence, whatever has been sent so far."""
        await self.send(Message(content=sentence), ephemeral=True)


def _or_missing(view: discord.ui.View | None) -> discord.ui.View:
    return view if view is not None else discord.utils.MISSING


def _release(message: Message) -> None:
    # The controls are DynamicItems registered once in setup_hook, so the per-message view need not stay in
    # discord.py's view store; stopping it also cancels the 15-minute timer discord.py gives ephemeral views.
    if message.view is not None:
        message.view.stop()
