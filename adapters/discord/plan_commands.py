"""Slash commands for study plans: `/plan show|me|recap` for members, `/quizadmin plan start|edit|stop` for admins;
each runs the core's `plan` command and shows the card it returns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.render import Message
from adapters.discord.replies import target
from bot.bank_cards import NoticeCard
from bot.commands import Command
from bot.service import Reply

if TYPE_CHECKING:
    from adapters.discord.commands import QuizTree
    from adapters.discord.handlers import Handlers


def install_plan(tree: QuizTree, admin: app_commands.Group, handlers: Handlers) -> None:
    """Define `/plan …` and `/quizadmin plan …`."""
    member = app_commands.Group(name="plan", description="This channel's study plan toward the exam.")

    @member.command(name="show", description="The plan's weeks, with the current week highlighted.")
    async def show(interaction: discord.Interaction) -> None:
        await run(handlers, interaction, Command("plan", ["show"]), ephemeral=False)

    @member.command(name="me", description="Your own readiness against the plan.")
    async def me(interaction: discord.Interaction) -> None:
        await run(handlers, interaction, Command("plan", ["me"]))

    @member.command(name="recap", description="A chart of the group's accuracy on this week's tasks.")
    async def recap(interaction: discord.Interaction) -> None:
        await run(handlers, interaction, Command("plan", ["recap"]), ephemeral=False)

    tree.add_command(member)
    group = app_commands.Group(name="plan", description="Start, edit or stop this channel's study plan.", parent=admin)

    @group.command(name="start", description="Lay out the exam's tasks over 6 or 8 weeks before the exam date.")
    @app_commands.describe(
        weeks="6 or 8 weeks (the last one is for practice exams)",
        exam_date="The exam date, YYYY-MM-DD",
        ready="Practice-exam score counted as ready (default 75)",
        comfortable="Practice-exam score counted as comfortable (default 80)",
    )
    @app_commands.choices(weeks=[app_commands.Choice(name=str(w), value=w) for w in (6, 8)])
    async def start(
        interaction: discord.Interaction,
        weeks: int,
        exam_date: str,
        ready: app_commands.Range[int, 50, 100] | None = None,
        comfortable: app_commands.Range[int, 50, 100] | None = None,
    ) -> None:
        options = {"weeks": str(weeks), "exam-date": exam_date}
        options.update({k: str(v) for k, v in (("ready", ready), ("comfortable", comfortable)) if v is not None})
        await run(handlers, interaction, Command("plan", ["start"], options), ephemeral=False)

    @group.command(name="edit", description="Move a task statement to another week.")
    @app_commands.describe(task="Task id or slug, e.g. 1.2", week="The week to move it to")
    async def edit(interaction: discord.Interaction, task: str, week: app_commands.Range[int, 1, 8]) -> None:
        await run(handlers, interaction, Command("plan", ["edit"], {"task": task, "week": str(week)}))

    @group.command(name="show", description="The plan's weeks, with the current week highlighted.")
    async def admin_show(interaction: discord.Interaction) -> None:
        await run(handlers, interaction, Command("plan", ["show"]))

    @group.command(name="stop", description="Stop the plan and its recap and countdown posts.")
    async def stop(interaction: discord.Interaction) -> None:
        await run(handlers, interaction, Command("plan", ["stop"]))


def message(card: Reply) -> Message:
    """A plan card as a Discord message: a notice as text, a chart as an attached PNG."""
    if isinstance(card, NoticeCard):
        return render.notice(card.text)
    return render.card(card)


async def run(handlers: Handlers, interaction: discord.Interaction, command: Command, ephemeral: bool = True) -> None:
    """One core `plan` command, answered privately unless the whole channel should see it."""
    reply = handlers._reply(interaction, ephemeral=ephemeral)
    async with handlers._guard(reply):
        card = await reply.call(handlers.service.execute(handlers._user(interaction), target(interaction), command))
        await reply.send(message(card))
