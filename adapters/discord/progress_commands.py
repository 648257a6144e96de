"""Slash commands for learning progress: /review, /drill (weakest tasks), /optin and /optout of the global board."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.replies import target
from bot.commands import MAX_QUIZ, MIN_QUIZ, Command

if TYPE_CHECKING:
    from adapters.discord.commands import QuizTree
    from adapters.discord.handlers import Handlers


def install_progress(tree: QuizTree, handlers: Handlers) -> None:
    """Define the progress commands; each runs one core command, privately."""

    @tree.command(name="review", description="Spaced repetition: your due cards first, then your weakest tasks.")
    @app_commands.describe(count=f"How many questions ({MIN_QUIZ}-{MAX_QUIZ}, default 10)")
    async def review(
        interaction: discord.Interaction, count: app_commands.Range[int, MIN_QUIZ, MAX_QUIZ] | None = None
    ) -> None:
        await run(handlers, interaction, Command("review", [str(count)] if count else []))

    @tree.command(name="drill", description="A private quiz from your weakest task statements.")
    @app_commands.describe(count=f"How many questions ({MIN_QUIZ}-{MAX_QUIZ}, default 10)")
    async def drill(
        interaction: discord.Interaction, count: app_commands.Range[int, MIN_QUIZ, MAX_QUIZ] | None = None
    ) -> None:
        await run(handlers, interaction, Command("drill", ["weak", *([str(count)] if count else [])]))

    @tree.command(name="optin", description="Show up on the global leaderboard across servers.")
    async def optin(interaction: discord.Interaction) -> None:
        await run(handlers, interaction, Command("optin", ["global"]))

    @tree.command(name="optout", description="Leave the global leaderboard.")
    async def optout(interaction: discord.Interaction) -> None:
        await run(handlers, interaction, Command("optout", ["global"]))


async def run(handlers: Handlers, interaction: discord.Interaction, command: Command) -> None:
    """One core command, answered privately with whatever card it returns."""
    reply = handlers._reply(interaction, ephemeral=True)
    async with handlers._guard(reply):
        card = await reply.call(handlers.service.execute(handlers._user(interaction), target(interaction), command))
        await reply.send(render.card(card))
