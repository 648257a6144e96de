"""The Discord front door's harness (a local fake Discord and the real discord.py client), reused as is."""

from tests.adapters.discord.conftest import discord_problems, fake

__all__ = ["discord_problems", "fake"]
