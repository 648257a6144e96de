"""The Report button under every reveal and quiz feedback: persistent, the question id in its custom_id."""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord

REPORT_PREFIX = "qreport"


class ReportHandler(Protocol):
    """What the Report button hands its click to (the client's handlers)."""

    async def admit(self, interaction: discord.Interaction) -> bool:
        """Whether to take the interaction (not while shutting down)."""

    async def report_clicked(self, interaction: discord.Interaction, question_id: str) -> None:
        """A member clicked Report under a reveal or feedback."""


class _WithHandlers(Protocol):
    handlers: ReportHandler


def _handler(interaction: discord.Interaction) -> ReportHandler:
    return cast("_WithHandlers", interaction.client).handlers


class ReportControl(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=REPORT_PREFIX + r":(?P<qid>[a-z0-9.-]{1,90})"
):
    """The Report button; the question id is in its custom_id, so it works after a restart."""

    def __init__(self, question_id: str) -> None:
        self.question_id = question_id
        super().__init__(
            discord.ui.Button(
                label="Report", style=discord.ButtonStyle.secondary, custom_id=f"{REPORT_PREFIX}:{question_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReportControl:
        """Rebuild the button from its custom_id."""
        return cls(match["qid"])

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Not while shutting down."""
        return await _handler(interaction).admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the report form."""
        await _handler(interaction).report_clicked(interaction, self.question_id)


def report_view(question_id: str) -> discord.ui.View:
    """A view holding only the Report button."""
    view = discord.ui.View(timeout=None)
    view.add_item(ReportControl(question_id))
    return view
